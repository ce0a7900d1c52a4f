import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../src/core/errors';
import { chatId, choice, id, integer, list, page, text, validate } from '../src/core/fields';

const errorsOf = (schema: z.ZodType, input: unknown) => {
  try {
    validate(schema, input);
  } catch (err) {
    if (err instanceof ValidationError) return err.fields;
    throw err;
  }
  throw new Error('expected a validation error');
};

describe('DRF-compatible field validation', () => {
  const body = z.object({ report_type_id: id(), chat_id: chatId(), unit_ids: list(id()), title: text({ max: 5 }) });

  it('reports one key per field, in the order the schema declares them', () => {
    expect(Object.keys(errorsOf(body, { title: '', unit_ids: 'x' }))).toEqual(['report_type_id', 'chat_id', 'unit_ids', 'title']);
  });

  it('uses the texts of the old service', () => {
    expect(errorsOf(body, { report_type_id: null, chat_id: 'abc', unit_ids: [], title: '   ' })).toEqual({
      report_type_id: ['This field may not be null.'],
      chat_id: ['A valid integer is required.'],
      unit_ids: ['This list may not be empty.'],
      title: ['This field may not be blank.'],
    });
    expect(errorsOf(body, { report_type_id: 0, chat_id: 1, unit_ids: 5, title: 'toolong' })).toEqual({
      report_type_id: ['Ensure this value is greater than or equal to 1.'],
      unit_ids: ['Expected a list of items but got type "int".'],
      title: ['Ensure this field has no more than 5 characters.'],
    });
    expect(errorsOf(body, {}).report_type_id).toEqual(['This field is required.']);
  });

  it('reports errors inside a list by position', () => {
    expect(errorsOf(body, { report_type_id: 1, chat_id: 1, unit_ids: [1, 'x', 3.5], title: 'a' })).toEqual({
      unit_ids: { '1': ['A valid integer is required.'], '2': ['A valid integer is required.'] },
    });
  });

  it('accepts integers as DRF does: numbers, integral floats and digit strings', () => {
    expect(validate(integer(), '42')).toBe(42);
    expect(validate(integer(), ' -7 ')).toBe(-7);
    expect(validate(integer(), 5.0)).toBe(5);
    expect(validate(integer(), '5.0')).toBe(5);
    expect(errorsOf(z.object({ n: integer() }), { n: true })).toEqual({ n: ['A valid integer is required.'] });
    expect(errorsOf(z.object({ n: integer() }), { n: '1e3' })).toEqual({ n: ['A valid integer is required.'] });
  });

  it('bounds ids to what the columns hold, and chat ids to exact JSON integers', () => {
    expect(errorsOf(z.object({ n: id() }), { n: 2147483648 })).toEqual({ n: ['Ensure this value is less than or equal to 2147483647.'] });
    expect(validate(chatId(), -1001234567890)).toBe(-1001234567890);
    expect(errorsOf(z.object({ c: chatId() }), { c: '9223372036854775807' })).toEqual({
      c: ['Ensure this value is less than or equal to 9007199254740991.'],
    });
  });

  it('trims strings, turns numbers into strings, and refuses NUL and lone surrogates', () => {
    expect(validate(text({ max: 10 }), '  a b  ')).toBe('a b');
    expect(validate(text({ max: 10 }), 12)).toBe('12');
    expect(errorsOf(z.object({ t: text({ max: 10 }) }), { t: 'a\u0000b' })).toEqual({ t: ['Null characters are not allowed.'] });
    expect(errorsOf(z.object({ t: text({ max: 10 }) }), { t: 'a\ud800' })).toEqual({ t: ['Surrogate characters are not allowed: U+D800.'] });
    expect(errorsOf(z.object({ t: text({ max: 10 }) }), { t: true })).toEqual({ t: ['Not a valid string.'] });
    expect(validate(text({ max: 2 }), '😀')).toBe('😀');
  });

  it('names the invalid choice', () => {
    expect(errorsOf(z.object({ type: choice(['PRIVATE', 'GROUP']) }), { type: 'private' })).toEqual({
      type: ['"private" is not a valid choice.'],
    });
  });

  it('says what a non-object body was', () => {
    expect(errorsOf(body, [1])).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    expect(errorsOf(body, 'x')).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] });
    expect(errorsOf(body, null)).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got NoneType.'] });
  });

  it('pages with limit 1..100 (default 100) and offset ≥ 0', () => {
    const p = z.object(page);
    expect(validate(p, {})).toEqual({ limit: 100, offset: 0 });
    expect(errorsOf(p, { limit: '0', offset: '-1' })).toEqual({
      limit: ['Ensure this value is greater than or equal to 1.'],
      offset: ['Ensure this value is greater than or equal to 0.'],
    });
    expect(errorsOf(p, { limit: '101' })).toEqual({ limit: ['Ensure this value is less than or equal to 100.'] });
  });
});
