/**
 * What a tool call answers, kept small: an agent reads every byte of it into its context,
 * so no answer is larger than {@link MAX_ANSWER_CHARS}, and a failure is a tool result with
 * `isError` (the CLI's message), never a protocol error — the agent sees why and can act.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** 64 KiB of text: about 16k tokens, the most one answer may cost an agent's context. */
export const MAX_ANSWER_CHARS = 64 * 1024;
/** The `logs` tool's lines: how many by default, and at most (logs-answer.ts). */
export const DEFAULT_LINES = 100;
export const MAX_LINES = 2000;

/**
 * The answer's text, its end kept when it is too long: progress ends with what matters
 * (the failure, the URLs), and logs end with the newest lines.
 */
export function boundText(text: string, max = MAX_ANSWER_CHARS): string {
  if (text.length <= max) return text;
  const kept = text.slice(text.length - max);
  const cut = kept.indexOf('\n');
  const tail = cut >= 0 && cut < 1024 ? kept.slice(cut + 1) : kept;
  return `… (${text.length - tail.length} earlier characters left out: an answer is at most ${max})\n${tail}`;
}

export type Answer = CallToolResult;

export function textAnswer(text: string): CallToolResult {
  return { content: [{ type: 'text', text: boundText(text.trimEnd() || 'ok') }] };
}

export function errorAnswer(text: string): CallToolResult {
  return { content: [{ type: 'text', text: boundText(text.trimEnd()) }], isError: true };
}
