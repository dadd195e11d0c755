// The guard's answers for this agent (`trace hook claude guard`), in its own decision format.
// Claude Code: hookSpecificOutput.permissionDecision deny or ask with the reason on stdout; a note for warn.
import { jsonAnswer, NO_ANSWER } from '../guard-answers.js';
import type { AgentGuard } from '../types.js';

export const guard: AgentGuard = {
  preEvent: 'pre-tool-use',
  canAsk: true,
  canDeny: true,
  // The real payloads (shared/fixtures/agents/claude): `{"session_id":…,"cwd":…,"tool_name":"Write","tool_input":{"file_path":…`.
  lane: {
    tools: ['Write', 'Edit'],
    sessionLead: '{"session_id":"',
    cwdLead: '"cwd":"',
    pathLead: (tool) => `"tool_name":"${tool}","tool_input":{"file_path":"`,
    shell: { tool: 'Bash', commandLead: '"tool_name":"Bash","tool_input":{"command":"' },
  },
  answer: (a) => {
    if (a.kind === 'allow') return NO_ANSWER;
    if (a.kind === 'warn') return jsonAnswer({ systemMessage: a.reason });
    return jsonAnswer({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: a.kind, permissionDecisionReason: a.reason } });
  },
};
