import { describe, expect, it } from 'vitest';
import { PreconditionRequiredError, ValidationError } from '../../../shared/domain/errors.js';
import { formatETag, parseIfMatch } from '../../../shared/schemas/headers.js';

describe('ETag and If-Match', () => {
  it('formats the version as a strong ETag', () => {
    expect(formatETag(3)).toBe('"3"');
  });

  it.each([
    ['"3"', 3],
    ['3', 3],
    ['W/"12"', 12],
    [' "7" ', 7],
  ])('reads If-Match %s as version %i', (header, version) => {
    expect(parseIfMatch(header)).toBe(version);
  });

  it('answers a missing If-Match with precondition required', () => {
    expect(() => parseIfMatch(undefined)).toThrow(PreconditionRequiredError);
    expect(() => parseIfMatch('  ')).toThrow(PreconditionRequiredError);
  });

  it.each(['"abc"', '*', '"0"', '"3", "4"', '-1'])('rejects If-Match %s naming the header', (header) => {
    try {
      parseIfMatch(header);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]!.path).toBe('If-Match');
    }
  });
});
