// Merging trace's hooks into `.gemini/settings.json` and taking them out again, keeping everything else.
// Gemini CLI's shape: `hooks.<Event>: [{ matcher?, sequential?, hooks: [{ name?, type: "command",
// command, timeout (ms), description? }] }]`. Older builds kept their switches inside `hooks`
// (`enabled`, `disabled`, `notifications`); they are left as they are. Hooks run unless
// `hooksConfig.enabled` (or the older `hooks.enabled`) is false.
import { readAsset } from '../../install/assets.js';
import { hookGroupsInstaller, type HookGroupsConfig } from '../hook-groups.js';
import { isRecord } from '../payload.js';

export const CONFIG_FILE = '.gemini/settings.json';

/** Keys of `hooks` that are switches, not events (gemini-cli HOOKS_CONFIG_FIELDS). */
const SWITCHES = ['enabled', 'disabled', 'notifications'];

export const { planInstall, removeHooks, hooksInstalled } = hookGroupsInstaller({
  hookName: 'gemini',
  file: CONFIG_FILE,
  docs: 'https://geminicli.com/docs/hooks/reference',
  template: () => JSON.parse(readAsset('gemini/settings.json')) as HookGroupsConfig,
  switches: SWITCHES,
});


/** False when the settings switch Gemini CLI's hooks off (then installed hooks never run). */
export function hooksEnabled(settings: HookGroupsConfig & { hooksConfig?: unknown }): boolean {
  const config = settings.hooksConfig;
  if (isRecord(config) && config.enabled === false) return false;
  return !(isRecord(settings.hooks) && settings.hooks.enabled === false);
}

