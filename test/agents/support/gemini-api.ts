// The Gemini API (…/models/<model>:streamGenerateContent?alt=sse and :generateContent), as Gemini CLI
// calls it with GOOGLE_GEMINI_BASE_URL: each model call takes the next reply in order.
import type { ServerResponse } from 'node:http';
import { json, type RecordedRequest, type Route, sse } from './model-server.js';

export interface GeminiUsage {
  /** promptTokenCount: every prompt-side token, cached ones included. */
  prompt: number;
  cached?: number;
  candidates: number;
  thoughts?: number;
}

export interface GeminiReply {
  text?: string;
  tools?: { name: string; args: Record<string, unknown> }[];
  usage: GeminiUsage;
  /** The model version the reply names; the requested model by default. */
  model?: string;
  accepts?: (body: GenerateContentRequest, model: string) => boolean;
}

export interface GeminiPart {
  text?: string;
  functionCall?: { name: string; args: unknown; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface GenerateContentRequest {
  contents: { role: string; parts: GeminiPart[] }[];
  tools?: { functionDeclarations?: { name: string }[] }[];
}

export interface GeminiScenario {
  route: Route;
  remaining(): number;
  served: { model: string; request: GenerateContentRequest }[];
}

export function geminiScenario(replies: GeminiReply[]): GeminiScenario {
  const queue = [...replies];
  const served: GeminiScenario['served'] = [];
  const route: Route = (request: RecordedRequest, response: ServerResponse) => {
    const match = /^\/v1(?:beta)?\/models\/([^:/?]+):(streamGenerateContent|generateContent)(\?|$)/.exec(request.url);
    if (request.method !== 'POST' || match === null) return false;
    const model = decodeURIComponent(match[1]!);
    const body = request.body as GenerateContentRequest;
    const reply = queue[0];
    if (reply === undefined || (reply.accepts !== undefined && !reply.accepts(body, model))) return false;
    queue.shift();
    served.push({ model, request: body });
    const parts: GeminiPart[] = [];
    if (reply.text !== undefined) parts.push({ text: reply.text });
    for (const tool of reply.tools ?? []) parts.push({ functionCall: { name: tool.name, args: tool.args } });
    const usage = reply.usage;
    const answer = {
      candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: usage.prompt,
        candidatesTokenCount: usage.candidates,
        ...(usage.cached === undefined ? {} : { cachedContentTokenCount: usage.cached }),
        ...(usage.thoughts === undefined ? {} : { thoughtsTokenCount: usage.thoughts }),
        totalTokenCount: usage.prompt + usage.candidates + (usage.thoughts ?? 0),
      },
      modelVersion: reply.model ?? model,
      responseId: `scripted-${served.length}`,
    };
    if (match[2] === 'generateContent') json(response, answer);
    else sse(response, [{ data: answer }]);
    return true;
  };
  return { route, remaining: () => queue.length, served };
}

/** The functionResponse parts of the last content of `request`. */
export function functionResponses(request: GenerateContentRequest): NonNullable<GeminiPart['functionResponse']>[] {
  return (request.contents.at(-1)?.parts ?? []).flatMap((part) => (part.functionResponse === undefined ? [] : [part.functionResponse]));
}
