/** Seed data of data.md §2. Production callers hard-code some of these ids: never renumber them. */

export interface SeedReportType {
  id: number;
  name: string;
  verbose_name: string;
  parent: string | null;
}

export const REPORT_TYPES: readonly SeedReportType[] = [
  { id: 1, name: 'STATISTICS', verbose_name: 'Отчёты по статистике', parent: null },
  { id: 2, name: 'INGREDIENTS_STOP_SALES', verbose_name: 'Стопы (тесто, сыр, пицца-соус)', parent: null },
  { id: 3, name: 'STREET_STOP_SALES', verbose_name: 'Стопы (Улица)', parent: null },
  { id: 4, name: 'SECTOR_STOP_SALES', verbose_name: 'Стопы (Сектор)', parent: null },
  { id: 5, name: 'PIZZERIA_STOP_SALES', verbose_name: 'Стопы (Пиццерия)', parent: null },
  { id: 6, name: 'STOPS_AND_RESUMES', verbose_name: 'Стопы (Остальные ингредиенты)', parent: null },
  { id: 7, name: 'CANCELED_ORDERS', verbose_name: 'Отмены заказов', parent: null },
  { id: 8, name: 'CHEATED_PHONE_NUMBERS', verbose_name: 'Мошенничество с номерами', parent: null },
  { id: 9, name: 'WRITE_OFFS', verbose_name: 'Списания ингредиентов', parent: null },
  { id: 10, name: 'COOKING_TIME', verbose_name: 'Время приготовления (общее)', parent: 'STATISTICS' },
  { id: 11, name: 'RESTAURANT_COOKING_TIME', verbose_name: 'Время приготовления (ресторан)', parent: 'STATISTICS' },
  { id: 12, name: 'KITCHEN_PERFORMANCE', verbose_name: 'Производительность кухни', parent: 'STATISTICS' },
  { id: 13, name: 'DELIVERY_AWAITING_TIME', verbose_name: 'Время на полке / 1в1', parent: 'STATISTICS' },
  { id: 14, name: 'DELIVERY_SPEED', verbose_name: 'Скорость доставки', parent: 'STATISTICS' },
  { id: 15, name: 'DELIVERY_PERFORMANCE', verbose_name: 'Производительность доставки', parent: 'STATISTICS' },
  { id: 16, name: 'BEING_LATE_CERTIFICATES', verbose_name: 'Сертификаты за опоздание', parent: 'STATISTICS' },
  { id: 17, name: 'DAILY_REVENUE', verbose_name: 'Выручка за сегодня', parent: 'STATISTICS' },
  { id: 18, name: 'AWAITING_ORDERS', verbose_name: 'Остывает на полке', parent: 'STATISTICS' },
  { id: 19, name: 'BONUS_SYSTEM', verbose_name: 'Бонусная система', parent: 'STATISTICS' },
  { id: 20, name: 'PRODUCTIVITY_BALANCE', verbose_name: 'Баланс эффективности', parent: 'STATISTICS' },
  { id: 21, name: 'LATE_DELIVERY_VOUCHERS', verbose_name: 'Сертификаты за опоздание', parent: null },
];

export const ACCOUNT_ROLES: readonly { id: number; name: string }[] = [
  { id: 3, name: 'Shift Manager' },
  { id: 7, name: 'Office Manager' },
];
