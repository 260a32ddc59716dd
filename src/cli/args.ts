import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors';

/** `util.parseArgs` whose complaints become one-line user errors (exit code 2). */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UserError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}
