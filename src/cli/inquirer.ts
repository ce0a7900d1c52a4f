/**
 * The prompts urdb uses, named one by one: a dynamic import of '@inquirer/prompts' itself would keep every prompt
 * in the bundle (the editor prompt alone brings half a megabyte of character-set tables).
 */
export { checkbox, confirm, input, password, search, select, Separator } from '@inquirer/prompts';
