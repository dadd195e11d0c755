// Merging trace's hooks into `.claude/settings.json` and taking them out again, keeping everything else.
import { readAsset } from '../../install/assets.js';
import { hookGroupsInstaller, type HookGroupsConfig } from '../hook-groups.js';

export const SETTINGS_FILE = '.claude/settings.json';

export const { planInstall, removeHooks, hooksInstalled } = hookGroupsInstaller({
  hookName: 'claude',
  file: SETTINGS_FILE,
  docs: 'https://docs.claude.com/en/docs/claude-code/hooks',
  template: () => JSON.parse(readAsset('claude/settings.json')) as HookGroupsConfig,
});
