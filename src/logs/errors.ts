/**
 * OS errors as the short text users see: the code to search for and Node's explanation,
 * without the path Node repeats in its messages (ours name the path once, in context).
 */

/** Whether `error` is a Node system error with this `code` (`ENOENT`, `EACCES`…). */
export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/** `EACCES (permission denied)` from `EACCES: permission denied, open '/x/y.log'`. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) return error.message;
    const explanation = error.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return `${code} (${explanation})`;
  }
  return String(error);
}
