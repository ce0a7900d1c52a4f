import type { Column } from '../cli/output';
import { fieldLabel, type ItemSchema, type ResourceFields } from '../handlers/resource-fields';

/**
 * A `list` column showing a resource's field: its header is the field's label (the admin API's OPTIONS `label`),
 * upper-cased, its cell the row's value of that field (a boolean as yes/no). Columns that are not a resource's field
 * (counts, names of what a row links to) are written by the command.
 */
export function fieldColumn<S extends ItemSchema, T>(r: ResourceFields<S>, field: keyof S['shape'] & keyof T & string): Column<T> {
  return {
    header: fieldLabel(r, field).toUpperCase(),
    value: (row) => {
      const v = row[field];
      return typeof v === 'boolean' ? (v ? 'yes' : 'no') : v;
    },
  };
}

/** `fieldColumn` for each of the fields, in the order given: the noun's choice of what a terminal table shows. */
export const fieldColumns = <S extends ItemSchema, T>(r: ResourceFields<S>, fields: (keyof S['shape'] & keyof T & string)[]): Column<T>[] =>
  fields.map((f) => fieldColumn<S, T>(r, f));
