-- Guessing protection that can be neither reset nor multiplied, and whose journal stays small.
--
-- One row per wrong access code still inside the window (10 minutes), with the chat it was tried for and its source
-- (the API token's name, else the peer address; the OS user for the CLI). Wrong codes are counted per chat (5) and
-- per source across all chats (50 by default); a right code erases nothing. Expired rows are deleted whenever a new
-- wrong code is recorded, and an attempt refused during a lockout writes nothing, so the table holds at most the
-- wrong codes of the last window: limit × sources. Each wrong code is audited (bounded the same way); refusals are not.

drop table access_code_attempt;

create table access_code_attempt (
  id bigint generated always as identity primary key,
  chat_id bigint not null,
  source text not null,
  at timestamptz not null default now()
);

create index access_code_attempt_chat_at_idx on access_code_attempt (chat_id, at);
create index access_code_attempt_source_at_idx on access_code_attempt (source, at);
create index access_code_attempt_at_idx on access_code_attempt (at);

create trigger access_code_attempt_audit_insert after insert on access_code_attempt
  referencing new table as new_rows for each statement execute function audit_changes('id');

-- Weak codes (shorter than 10 characters or common) are refused when chosen, but imports and the migration from
-- the Django service keep the codes users already have: those roles are flagged until their code is rotated.
alter table role add column weak_code boolean not null default false;

-- Roles that existed before this migration: only digests are known; those of every code of up to 4 digits are
-- cheap to compare (the list of common codes lives in the program, and `urdb import` checks digests against it).
update role set weak_code = true
where access_code_sha256 in (
  select encode(sha256(convert_to(lpad(n::text, d, '0'), 'UTF8')), 'hex')
  from generate_series(1, 4) as d, generate_series(0, 9999) as n
  where n < 10 ^ d
);
