-- Tells urdb servers that the data behind the route lookups changed, whoever changed it (urdb, psql, another app),
-- so that their in-process lookup caches stay correct. One notification per table per transaction (PostgreSQL
-- folds identical notifications of a transaction into one); the channel names the schema.

create function notify_lookup_change() returns trigger
language plpgsql
set search_path from current
as $$
begin
  perform pg_notify('urdb_changes:' || tg_table_schema, tg_table_name);
  return null;
end
$$;

create trigger report_route_changed
  after insert or update or delete or truncate on report_route
  for each statement execute function notify_lookup_change();

create trigger telegram_chat_changed
  after update of chat_id or delete or truncate on telegram_chat
  for each statement execute function notify_lookup_change();
