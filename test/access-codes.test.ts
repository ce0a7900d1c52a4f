import { beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/core/errors';
import { call } from '../src/core/operation';
import { importBundle } from '../src/handlers/bundle/import';
import { assignRoleByCode, CODE_ATTEMPTS } from '../src/handlers/roles';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const assign = (chat_id: number, access_code: string) => call(assignRoleByCode, db.ctx({ via: 'api', user: 'api' }), { chat_id, access_code });
const roleOf = async (chat_id: number) => (await db.sql`select role_id from telegram_chat where chat_id = ${chat_id}`)[0]!.role_id;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    roles: [{ id: 1, name: 'r', access_code: 'right-code', units: [], report_types: [] }],
    telegram_chats: [1, 2, 3].map((chat_id) => ({ chat_id, type: 'PRIVATE', title: `c${chat_id}` })),
  });
});

describe('guessing protection on the role switch', () => {
  it(`after ${CODE_ATTEMPTS.max} wrong codes within ${CODE_ATTEMPTS.windowMinutes} minutes even the right code answers 404 Role is not found`, async () => {
    for (let i = 0; i < CODE_ATTEMPTS.max; i++) await expect(assign(1, `wrong-${i}`)).rejects.toThrow(new NotFoundError('Role is not found'));
    await expect(assign(1, 'right-code')).rejects.toThrow(new NotFoundError('Role is not found'));
    expect(await roleOf(1)).toBeNull();
    // Other chats are not affected.
    await expect(assign(2, 'right-code')).resolves.toMatchObject({ role_id: 1 });
  });

  it('the lock ends when the window passes', async () => {
    await db.sql`update access_code_attempt set at = at - make_interval(mins => ${CODE_ATTEMPTS.windowMinutes + 1}) where chat_id = 1`;
    await expect(assign(1, 'right-code')).resolves.toMatchObject({ role_id: 1 });
    expect(await roleOf(1)).toBe(1);
  });

  it('a right code resets the count', async () => {
    for (let i = 0; i < CODE_ATTEMPTS.max - 1; i++) await expect(assign(2, 'nope')).rejects.toThrow(NotFoundError);
    await expect(assign(2, 'right-code')).resolves.toMatchObject({ role_id: 1 });
    for (let i = 0; i < CODE_ATTEMPTS.max - 1; i++) await expect(assign(2, 'nope')).rejects.toThrow(NotFoundError);
    await expect(assign(2, 'right-code')).resolves.toMatchObject({ role_id: 1 });
  });

  it('parallel guesses cannot get past the limit', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => assign(3, `guess-${i}`)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const [counts] = await db.sql`
      select count(*) filter (where not refused)::int as wrong, count(*) filter (where refused)::int as refused
      from access_code_attempt where chat_id = 3
    `;
    expect(counts).toEqual({ wrong: CODE_ATTEMPTS.max, refused: 12 - CODE_ATTEMPTS.max });
  });

  it('attempts are in the audit log, without the codes tried', async () => {
    const rows = await db.sql`select actor, after from audit_log where entity = 'access_code_attempt' and after ->> 'chat_id' = '3'`;
    expect(rows).toHaveLength(12);
    expect(rows[0]!.actor).toMatchObject({ via: 'api' });
    expect(JSON.stringify(rows)).not.toContain('guess-');
  });
});
