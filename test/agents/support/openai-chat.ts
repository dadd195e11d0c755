// OpenAI-compatible Chat Completions (POST …/chat/completions, streamed), as OpenCode calls a provider
// configured with `@ai-sdk/openai-compatible` and a baseURL: each model call takes the next reply in
// order; side calls the agent makes on its own (a title) are answered by `side` replies, any number of times.
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, type Route, sse } from './model-server.js';

export interface ChatUsage {
  /** prompt_tokens: every prompt-side token, cached ones included. */
  prompt: number;
  cached?: number;
  completion: number;
  reasoning?: number;
}

export interface ChatReply {
  text?: string;
  tools?: { name: string; arguments: Record<string, unknown> }[];
  usage: ChatUsage;
  accepts?: (body: ChatRequest) => boolean;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
}

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string } }[];
}

export interface ChatScenario {
  route: Route;
  remaining(): number;
  served: { request: ChatRequest; callIds: string[] }[];
  /** Requests answered by a side reply. */
  side: ChatRequest[];
}

export function chatScenario(replies: ChatReply[], side: ChatReply[] = []): ChatScenario {
  const queue = [...replies];
  const served: ChatScenario['served'] = [];
  const sideServed: ChatRequest[] = [];
  let counter = 0;
  const route: Route = (request: RecordedRequest, response: ServerResponse) => {
    if (request.method !== 'POST' || !/\/chat\/completions(\?|$)/.test(request.url)) return false;
    const body = request.body as ChatRequest;
    const sideReply = side.find((r) => r.accepts?.(body) === true);
    const reply = sideReply ?? queue[0];
    if (reply === undefined || (reply.accepts !== undefined && !reply.accepts(body))) return false;
    if (sideReply === undefined) queue.shift();
    counter += 1;
    const id = `chatcmpl-scripted-${counter}`;
    const callIds = (reply.tools ?? []).map((_, index) => `call_scripted_${counter}_${index}`);
    if (sideReply === undefined) served.push({ request: body, callIds });
    else sideServed.push(body);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] });
    const events: { data: unknown }[] = [{ data: chunk({ role: 'assistant', content: reply.text ?? '' }, null) }];
    for (const [index, tool] of (reply.tools ?? []).entries()) {
      events.push({ data: chunk({ tool_calls: [{ index, id: callIds[index], type: 'function', function: { name: tool.name, arguments: JSON.stringify(tool.arguments) } }] }, null) });
    }
    events.push({ data: chunk({}, callIds.length > 0 ? 'tool_calls' : 'stop') });
    const u = reply.usage;
    events.push({
      data: {
        id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [],
        usage: {
          prompt_tokens: u.prompt,
          completion_tokens: u.completion,
          total_tokens: u.prompt + u.completion,
          prompt_tokens_details: { cached_tokens: u.cached ?? 0 },
          completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
        },
      },
    });
    events.push({ data: '[DONE]' });
    sse(response, events);
    return true;
  };
  return { route, remaining: () => queue.length, served, side: sideServed };
}

/** The tool messages of `request`, by tool call id. */
export function toolMessages(request: ChatRequest): Map<string, unknown> {
  return new Map(request.messages.filter((m) => m.role === 'tool' && m.tool_call_id !== undefined).map((m) => [m.tool_call_id!, m.content]));
}
