-- Who really made a change. urdb.actor is a claim: any client can set it to any JSON. Every audit row now also
-- records the database role that made the change: current_user (after any SET ROLE) and session_user (who logged
-- in), which no setting can change. A BEFORE INSERT trigger overwrites whatever an insert says there, so a client
-- that inserts into audit_log directly cannot forge them either; the WHEN clause keeps the common case (the
-- defaults) free of a function call per row. (The table's owner can still disable triggers: see SECURITY.md.)
-- Rows written before this migration have NULL here: their role was not recorded.

alter table audit_log
  add column db_user text default current_user,
  add column db_session_user text default session_user;

create function audit_log_db_role() returns trigger
language plpgsql
as $$
begin
  new.db_user := current_user;
  new.db_session_user := session_user;
  return new;
end
$$;

create trigger audit_log_db_role before insert on audit_log
  for each row
  when (new.db_user is distinct from current_user or new.db_session_user is distinct from session_user)
  execute function audit_log_db_role();

-- The claimed actor is recorded as given, but a setting that is not JSON no longer aborts the write it
-- accompanies: it is kept as {"unparsed": "<the setting>"}. Checking needs an exception block (a subtransaction);
-- a setting found valid is remembered for the transaction, so a bulk import of many statements starts one, not
-- one per statement (many subtransactions in one transaction slow every other session's snapshots).
create or replace function audit_actor() returns jsonb
language plpgsql
volatile
as $$
declare
  claimed text := current_setting('urdb.actor', true);
  parsed jsonb;
begin
  if claimed is null or claimed = '' then
    return jsonb_build_object('via', 'sql', 'user', session_user::text);
  end if;
  if claimed = current_setting('urdb.actor_checked', true) then
    return claimed::jsonb;
  end if;
  begin
    parsed := claimed::jsonb;
  exception when others then
    return jsonb_build_object('unparsed', claimed);
  end;
  perform set_config('urdb.actor_checked', claimed, true);
  return parsed;
end
$$;

-- `urdb log` names the Telegram chat of a route whose chat is gone from the chat's last audit row.
create index audit_log_chat_key_idx on audit_log ((key ->> 'id'), id) where entity = 'telegram_chat';
