// The OpenAI Responses API (POST …/responses, streamed), as Codex CLI calls it through a custom
// `model_providers` entry: each model call takes the next reply in order.
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, type Route, sse } from './model-server.js';

export interface ResponsesUsage {
  /** Every prompt-side token, cached ones included (the API's own semantics). */
  input: number;
  cached?: number;
  output: number;
  reasoning?: number;
}

/**
 * A function tool (JSON arguments, e.g. Codex `exec_command`; `namespace` for one inside a namespace
 * tool, e.g. Codex's `collaboration.spawn_agent`) or a custom one (free text, e.g. `apply_patch`).
 */
export type ResponsesToolCall = { name: string; arguments: Record<string, unknown>; namespace?: string } | { name: string; input: string };

export interface ResponsesReply {
  text?: string;
  tools?: ResponsesToolCall[];
  usage: ResponsesUsage;
  /**
   * A reply is taken only by a request it accepts (all by default). A request the next reply does not
   * accept takes the first later one that does: agents running at once (a subagent beside its parent) ask in any order.
   */
  accepts?: (body: ResponsesRequest) => boolean;
}

export interface ResponsesItem {
  type: string;
  role?: string;
  call_id?: string;
  output?: unknown;
  content?: { type: string; text?: string }[];
}

export interface ResponsesRequest {
  model: string;
  stream?: boolean;
  input: ResponsesItem[];
  tools?: { type: string; name?: string }[];
}

export interface ResponsesScenario {
  route: Route;
  remaining(): number;
  served: { request: ResponsesRequest; callIds: string[] }[];
}

export function responsesScenario(replies: ResponsesReply[]): ResponsesScenario {
  const queue = [...replies];
  const served: ResponsesScenario['served'] = [];
  let counter = 0;
  const route: Route = (request: RecordedRequest, response: ServerResponse) => {
    if (request.method !== 'POST' || !/\/responses(\?|$)/.test(request.url)) return false;
    const body = request.body as ResponsesRequest;
    const at = queue.findIndex((r) => r.accepts === undefined || r.accepts(body));
    if (at === -1) return false;
    const [reply] = queue.splice(at, 1) as [ResponsesReply];
    counter += 1;
    const id = `resp_scripted_${counter}`;
    const items: Record<string, unknown>[] = [];
    if (reply.text !== undefined) {
      items.push({ type: 'message', id: `msg_scripted_${counter}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply.text, annotations: [] }] });
    }
    const callIds: string[] = [];
    for (const [index, tool] of (reply.tools ?? []).entries()) {
      const callId = `call_scripted_${counter}_${index}`;
      callIds.push(callId);
      items.push(
        'input' in tool
          ? { type: 'custom_tool_call', id: `ctc_scripted_${counter}_${index}`, call_id: callId, name: tool.name, input: tool.input, status: 'completed' }
          : { type: 'function_call', id: `fc_scripted_${counter}_${index}`, call_id: callId, name: tool.name, ...(tool.namespace === undefined ? {} : { namespace: tool.namespace }), arguments: JSON.stringify(tool.arguments), status: 'completed' },
      );
    }
    served.push({ request: body, callIds });
    const usage = {
      input_tokens: reply.usage.input,
      input_tokens_details: { cached_tokens: reply.usage.cached ?? 0 },
      output_tokens: reply.usage.output,
      output_tokens_details: { reasoning_tokens: reply.usage.reasoning ?? 0 },
      total_tokens: reply.usage.input + reply.usage.output,
    };
    const base = { id, object: 'response', model: body.model, created_at: Math.floor(Date.now() / 1000) };
    const events: { event: string; data: unknown }[] = [{ event: 'response.created', data: { type: 'response.created', response: { ...base, status: 'in_progress', output: [] } } }];
    for (const [index, item] of items.entries()) {
      events.push({ event: 'response.output_item.added', data: { type: 'response.output_item.added', output_index: index, item } });
      events.push({ event: 'response.output_item.done', data: { type: 'response.output_item.done', output_index: index, item } });
    }
    events.push({ event: 'response.completed', data: { type: 'response.completed', response: { ...base, status: 'completed', output: items, usage } } });
    sse(response, events);
    return true;
  };
  return { route, remaining: () => queue.length, served };
}

/** The outputs the agent sent back for earlier tool calls, by call id. */
export function toolOutputs(request: ResponsesRequest): Map<string, unknown> {
  return new Map(request.input.filter((item) => item.type.endsWith('_call_output') && item.call_id !== undefined).map((item) => [item.call_id!, item.output]));
}
