-- The admin REST API (/api/v1/): a PUT that changes a natural key keeps every link (the seed document's rule), so
-- references follow a changed id (ON UPDATE CASCADE); deletes keep their old behaviour.
alter table unit drop constraint unit_region_id_fkey,
  add constraint unit_region_id_fkey foreign key (region_id) references region (id) on delete cascade on update cascade;
alter table unit drop constraint unit_department_id_fkey,
  add constraint unit_department_id_fkey foreign key (department_id) references department (id) on delete set null on update cascade;
alter table report_type drop constraint report_type_parent_id_fkey,
  add constraint report_type_parent_id_fkey foreign key (parent_id) references report_type (id) on delete set null on update cascade;
alter table role_unit drop constraint role_unit_role_id_fkey,
  add constraint role_unit_role_id_fkey foreign key (role_id) references role (id) on delete cascade on update cascade;
alter table role_unit drop constraint role_unit_unit_id_fkey,
  add constraint role_unit_unit_id_fkey foreign key (unit_id) references unit (id) on delete cascade on update cascade;
alter table role_report_type drop constraint role_report_type_role_id_fkey,
  add constraint role_report_type_role_id_fkey foreign key (role_id) references role (id) on delete cascade on update cascade;
alter table telegram_chat drop constraint telegram_chat_role_id_fkey,
  add constraint telegram_chat_role_id_fkey foreign key (role_id) references role (id) on delete set null on update cascade;
alter table report_route drop constraint report_route_unit_id_fkey,
  add constraint report_route_unit_id_fkey foreign key (unit_id) references unit (id) on delete cascade on update cascade;

-- A bulk update of 50,000 rows: the audit trigger pairs old and new rows of transition tables, which have no
-- statistics, so the planner took a nested loop (quadratic: minutes). A hash join pairs them in one pass.
alter function audit_changes() set enable_nestloop = off;
