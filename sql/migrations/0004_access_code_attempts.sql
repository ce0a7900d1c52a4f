-- Wrong access codes per chat, for the guessing protection of PATCH /roles/users/{chat_id}/: after 5 wrong codes
-- within 10 minutes, further attempts for that chat are refused until the window passes. Recorded in the same
-- transaction that checks them, under the chat row's lock, so parallel guesses cannot slip past the limit.

create table access_code_attempt (
  id bigint generated always as identity primary key,
  chat_id bigint not null,
  at timestamptz not null default now(),
  refused boolean not null default false
);

create index access_code_attempt_chat_at_idx on access_code_attempt (chat_id, at);

create trigger access_code_attempt_audit_insert after insert on access_code_attempt
  referencing new table as new_rows for each statement execute function audit_changes('id');
