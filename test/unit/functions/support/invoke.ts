import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResponse } from '../../../../functions/api/http/types.js';
import { lambdaContext } from './events.js';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when empty). */
  body: any;
  raw: ApiResponse;
}

type Handler = (event: ApiEvent, context: Context) => Promise<ApiResponse>;

/** Calls a handler like Lambda does and parses its JSON answer. */
export async function invoke(handler: Handler, event: ApiEvent, context: Context = lambdaContext()): Promise<Answer> {
  const raw = await handler(event, context);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw.headers ?? {})) headers[name.toLowerCase()] = String(value);
  return {
    status: raw.statusCode ?? 200,
    headers,
    body: raw.body === undefined || raw.body === '' ? undefined : JSON.parse(raw.body),
    raw,
  };
}
