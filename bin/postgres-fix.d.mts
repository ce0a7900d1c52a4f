export const CONNECTION_FILE: RegExp;
export function fixPostgresConnection(source: string, file?: string): string;
