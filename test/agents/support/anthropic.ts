// The Anthropic Messages API (POST /v1/messages, streaming or not), as Claude Code calls it, replaying
// a scenario: each model call takes the next reply in order.
import type { ServerResponse } from 'node:http';
import { json, type RecordedRequest, type Route, sse } from './model-server.js';

export interface Usage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
}

export interface AnthropicReply {
  text?: string;
  tools?: ToolCall[];
  usage: Usage;
  /** The model the reply names; the requested model by default. */
  model?: string;
  /** A reply is taken only by a request it accepts (all by default); any other request is unscripted. */
  accepts?: (body: MessagesRequest) => boolean;
}

export interface MessagesRequest {
  model: string;
  stream?: boolean;
  system?: unknown;
  tools?: { name: string }[];
  messages: { role: string; content: string | ContentBlock[] }[];
}

export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  is_error?: boolean;
  content?: unknown;
}

export interface AnthropicScenario {
  route: Route;
  /** The replies not taken yet. */
  remaining(): number;
  /** Every request that took a reply, in order, with the tool_use ids the reply carried. */
  served: { request: MessagesRequest; toolUseIds: string[] }[];
}

export function anthropicScenario(replies: AnthropicReply[]): AnthropicScenario {
  const queue = [...replies];
  const served: AnthropicScenario['served'] = [];
  let counter = 0;
  const route: Route = (request: RecordedRequest, response: ServerResponse) => {
    if (request.method !== 'POST' || !/^\/v1\/messages(\?|$)/.test(request.url)) return false;
    const body = request.body as MessagesRequest;
    const reply = queue[0];
    if (reply === undefined || (reply.accepts !== undefined && !reply.accepts(body))) return false;
    queue.shift();
    counter += 1;
    const id = `msg_scripted_${counter}`;
    const model = reply.model ?? body.model;
    const content: ContentBlock[] = [];
    if (reply.text !== undefined) content.push({ type: 'text', text: reply.text });
    const toolUseIds: string[] = [];
    for (const [index, tool] of (reply.tools ?? []).entries()) {
      const toolId = `toolu_scripted_${counter}_${index}`;
      toolUseIds.push(toolId);
      content.push({ type: 'tool_use', id: toolId, name: tool.name, input: tool.input });
    }
    served.push({ request: body, toolUseIds });
    const stopReason = toolUseIds.length > 0 ? 'tool_use' : 'end_turn';
    const usage = {
      input_tokens: reply.usage.input,
      cache_creation_input_tokens: reply.usage.cacheWrite ?? 0,
      cache_read_input_tokens: reply.usage.cacheRead ?? 0,
    };
    if (body.stream !== true) {
      json(response, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage: { ...usage, output_tokens: reply.usage.output } });
      return true;
    }
    const events: { event: string; data: unknown }[] = [
      { event: 'message_start', data: { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } } } },
    ];
    for (const [index, block] of content.entries()) {
      if (block.type === 'text') {
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } });
        events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block.text } } });
      } else {
        events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } } });
        events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) } } });
      }
      events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    }
    events.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: reply.usage.output } } });
    events.push({ event: 'message_stop', data: { type: 'message_stop' } });
    sse(response, events);
    return true;
  };
  return { route, remaining: () => queue.length, served };
}

/** The tool_result blocks of the last user message of `request`. */
export function toolResults(request: MessagesRequest): ContentBlock[] {
  const last = request.messages[request.messages.length - 1];
  if (last === undefined || typeof last.content === 'string') return [];
  return last.content.filter((block) => block.type === 'tool_result');
}

/** The text of every user message block, joined (prompts, tool results as text excluded). */
export function userText(request: MessagesRequest): string {
  return request.messages
    .filter((m) => m.role === 'user')
    .flatMap((m) => (typeof m.content === 'string' ? [m.content] : m.content.filter((b) => b.type === 'text').map((b) => b.text ?? '')))
    .join('\n');
}
