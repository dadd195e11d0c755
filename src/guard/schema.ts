// `trace.guard` in .chainloop.yml: what the guard checks before an agent's tool runs. Validated with
// zod like the rest of the config on the cold side; the hook reads the parsed result from a cache
// (src/guard/settings.ts) and never loads zod.
import { z } from 'zod';
import { regexSource } from '../core/policy.js';

export const DEFAULT_PROTECTED_PATHS = ['.env*', '*.pem', '*.key', '.git/**', '.chainloop.yml'];

const decision = z.enum(['allow', 'ask', 'deny']);

const ruleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - only')
      .describe('Names the rule in every decision, log line and attestation.'),
    tools: z
      .array(z.string().min(1))
      .optional()
      .describe('Tool names (case-insensitive, * as wildcard) the rule applies to; Claude Code names stand for the other agents\' equivalents too (Bash: any shell tool; Write, Edit, MultiEdit: any file-writing tool; mcp__<server>__<tool>: any MCP tool). Absent: every tool.'),
    command: regexSource
      .optional()
      .describe('JavaScript regular expression matched against the whole command and each simple command in it (after the shell reader splits ;, &&, |, $(…), bash -c \'…\' and removes quotes). Only calls that run a command can match.'),
    paths: z
      .array(z.string().min(1))
      .optional()
      .describe('Path globs (*, ?, **; a pattern without / matches at any depth), matched case-insensitively against the repository-relative paths the call writes. Only calls that write files can match.'),
    mcpServersNotIn: z
      .array(z.string().min(1))
      .optional()
      .describe('MCP servers allowed (names, * as wildcard): an MCP call to any other server matches. Only MCP calls can match.'),
    decision: decision.describe('What a match decides: allow, ask (the agent asks the person) or deny.'),
    message: z.string().min(1).optional().describe('Shown with the decision (to the agent for deny, to the person for ask).'),
  })
  .refine((rule) => rule.tools !== undefined || rule.command !== undefined || rule.paths !== undefined || rule.mcpServersNotIn !== undefined, {
    message: 'a rule needs at least one of tools, command, paths, mcpServersNotIn',
  });

export const guardSchema = z
  .strictObject({
    mode: z
      .enum(['off', 'warn', 'enforce'])
      .default('warn')
      .describe('off: no guard. warn: decide, record and tell the person, never block. enforce: answer the agent deny or ask (an invalid guard config then denies every guarded call).'),
    headlessAsk: z
      .enum(['deny', 'allow'])
      .default('deny')
      .describe('What an ask becomes when nobody can answer it: a headless run (claude -p, CI) or an agent that cannot ask (Codex, Gemini CLI).'),
    builtin: z
      .strictObject({
        forbiddenCommands: z
          .boolean()
          .default(true)
          .describe('Deny the commands trace.policies.forbiddenCommands forbids (its built-in list, patterns and protectedBranches): exactly what trace verify flags afterwards.'),
        protectedPaths: z
          .array(z.string().min(1))
          .default(DEFAULT_PROTECTED_PATHS)
          .describe('Path globs an agent may not write, with a file tool or a shell redirection, tee, cp or mv (deny). Matched case-insensitively.'),
        secretsInCommands: z.boolean().default(true).describe('Ask before running a command that holds a secret (the redaction detectors and trace.redaction.patterns, on the command text).'),
        outsideRepository: decision.default('ask').describe('What a file tool writing outside the repository decides.'),
      })
      .prefault({}),
    rules: z.array(ruleSchema).default([]).describe('Custom rules. All matching rules count; the strongest decision wins (deny > ask > allow).'),
  })
  .prefault({});

export type GuardConfig = z.output<typeof guardSchema>;
export type GuardRuleConfig = z.output<typeof ruleSchema>;
