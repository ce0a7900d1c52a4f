/**
 * Codes people choose and attackers try first (the most common passwords, keyboard walks, the business's own words).
 * Compared case-insensitively. Short ones are here too: a bundle that carries only digests is checked against them.
 */
export const COMMON_ACCESS_CODES: readonly string[] = [
  '123456', '1234567', '12345678', '123456789', '1234567890', '12345678910', '0123456789', '9876543210', '1111111111',
  '0000000000', '1234512345', '1122334455', '1029384756', '123123123', '123321123321', '147258369', '1qaz2wsx3edc',
  'password', 'password1', 'password123', 'passw0rd', 'p@ssw0rd', 'p@ssword123', 'qwerty', 'qwerty123', 'qwertyuiop',
  'qwertyuiop123', 'asdfghjkl', 'asdfghjkl123', 'zxcvbnm', 'zxcvbnm123', '1q2w3e4r5t', '1q2w3e4r5t6y', 'q1w2e3r4t5',
  'qazwsxedc', 'qazwsxedcrfv', 'iloveyou', 'iloveyou123', 'letmein', 'letmein123', 'welcome', 'welcome123',
  'welcome2024', 'welcome2025', 'welcome2026', 'admin', 'admin123', 'administrator', 'administrator1', 'changeme',
  'changeme123', 'secret', 'secret123', 'supersecret', 'topsecret', 'monkey', 'dragon', 'football', 'baseball',
  'sunshine', 'princess', 'trustno1', 'access', 'accesscode', 'access_code', 'access-code', 'accesscode123',
  'pizza', 'pizza123', 'pizza2023', 'pizza2024', 'pizza2025', 'pizza2026', 'pizzapizza', 'pizzeria', 'pizzeria123',
  'dodo', 'dodopizza', 'dodopizza1', 'dodopizza123', 'dodopizza2024', 'dodopizza2025', 'dodopizza2026', 'dodois',
  'manager', 'manager123', 'managers', 'managers123', 'manager2024', 'manager2025', 'manager2026', 'office',
  'officemanager', 'shiftmanager', 'report', 'reports', 'reports123', 'telegram', 'telegram123', 'telegrambot',
  'moscow', 'moscow2024', 'moskva', 'moskva2024', 'йцукенгшщз', 'пароль', 'пароль123', 'пицца', 'пицца2024',
  'додопицца', 'менеджер', 'qwertyqwerty', 'abcdefghij', 'abcdefghijk', 'abc123', 'abc1234567', 'aaaaaaaaaa',
];
