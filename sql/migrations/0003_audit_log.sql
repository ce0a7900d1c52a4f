-- Every change to urdb's data, from any client, recorded in the same transaction as the change: when, who, what
-- (entity, key, before and after). Who comes from the transaction setting urdb.actor that urdb sets on every write
-- (CLI: the OS user; API: the token's name, address and acting chat); a change made outside urdb is recorded with
-- the database user. Access code digests are never copied here.

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor jsonb not null,
  entity text not null,
  action text not null,
  key jsonb not null,
  before jsonb,
  after jsonb,
  constraint audit_log_action_check check (action in ('insert', 'update', 'delete'))
);

create index audit_log_at_idx on audit_log using brin (at);
create index audit_log_entity_idx on audit_log (entity, id);

create function audit_actor() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('urdb.actor', true), '')::jsonb,
    jsonb_build_object('via', 'sql', 'user', session_user::text)
  )
$$;

-- The row without secrets.
create function audit_redact(rowdata jsonb) returns jsonb
language sql immutable
as $$ select rowdata - 'access_code_sha256' $$;

-- Statement-level with transition tables: a bulk import writes its audit rows in one statement per table.
-- The trigger's arguments name the key columns; the key is the row minus every other column.
create function audit_changes() returns trigger
language plpgsql
set search_path from current
as $$
declare
  who jsonb := audit_actor();
  others text[] := array(
    select attname::text from pg_attribute
    where attrelid = tg_relid and attnum > 0 and not attisdropped and attname::text <> all (tg_argv)
  );
begin
  if tg_op = 'INSERT' then
    insert into audit_log (actor, entity, action, key, after)
    select who, tg_table_name, 'insert', n.j - others, audit_redact(n.j)
    from (select to_jsonb(n) as j from new_rows n) n;
  elsif tg_op = 'DELETE' then
    insert into audit_log (actor, entity, action, key, before)
    select who, tg_table_name, 'delete', o.j - others, audit_redact(o.j)
    from (select to_jsonb(o) as j from old_rows o) o;
  else
    insert into audit_log (actor, entity, action, key, before, after)
    select who, tg_table_name, 'update', n.j - others, audit_redact(o.j),
           case when o.j -> 'access_code_sha256' is distinct from n.j -> 'access_code_sha256'
                then audit_redact(n.j) || '{"access_code_changed": true}'
                else audit_redact(n.j) end
    from (select to_jsonb(o) as j from old_rows o) o
    join (select to_jsonb(n) as j from new_rows n) n on (o.j - others) = (n.j - others)
    where o.j is distinct from n.j;
  end if;
  return null;
end
$$;

do $$
declare
  t record;
begin
  for t in
    select * from (values
      ('region', array['id']),
      ('department', array['id']),
      ('unit', array['id']),
      ('report_type', array['id']),
      ('role', array['id']),
      ('role_unit', array['role_id', 'unit_id']),
      ('role_report_type', array['role_id', 'report_type_id']),
      ('telegram_chat', array['id']),
      ('report_route', array['unit_id', 'report_type_id', 'telegram_chat_id']),
      ('account_role', array['id'])
    ) as x (name, columns)
  loop
    execute format(
      'create trigger %I after insert on %I referencing new table as new_rows for each statement execute function audit_changes(%s)',
      t.name || '_audit_insert', t.name, array_to_string(array(select quote_literal(c) from unnest(t.columns) c), ', '));
    execute format(
      'create trigger %I after update on %I referencing old table as old_rows new table as new_rows for each statement execute function audit_changes(%s)',
      t.name || '_audit_update', t.name, array_to_string(array(select quote_literal(c) from unnest(t.columns) c), ', '));
    execute format(
      'create trigger %I after delete on %I referencing old table as old_rows for each statement execute function audit_changes(%s)',
      t.name || '_audit_delete', t.name, array_to_string(array(select quote_literal(c) from unnest(t.columns) c), ', '));
  end loop;
end
$$;

create function audit_log_append_only() returns trigger
language plpgsql
as $$
begin
  raise exception 'audit_log is append-only';
end
$$;

create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
