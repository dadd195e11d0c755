// Gemini CLI: hooks in .gemini/settings.json, sessions from its chat files.
import { homedir } from 'node:os';
import type { Agent } from '../types.js';
import { hooks } from './hooks.js';
import { CONFIG_FILE, hooksInstalled, planInstall, removeHooks } from './install.js';
import { readGeminiSession } from './session.js';
import { SimulatedGemini } from './simulator.js';

export const agent: Agent = {
  hooks,
  displayName: 'Gemini CLI',
  executable: 'gemini',
  configFile: CONFIG_FILE,
  configDir: '.gemini',
  planInstall,
  removeHooks,
  hooksInstalled,
  afterInstall: [
    'Gemini CLI runs project hooks only in a trusted folder, and warns once, listing them, the first time it sees them.',
    'Hooks are on unless `hooksConfig.enabled` is false in a Gemini settings file (~/.gemini/settings.json or .gemini/settings.json).',
  ],
  readSession: (session) =>
    readGeminiSession({ transcriptPath: session.transcript_path, sessionId: session.id, geminiHome: process.env.GEMINI_CLI_HOME ?? homedir() }),
  simulate: (workspace, options) => new SimulatedGemini(workspace, options),
};
