/** The lookups the load sends: random ids per request, from a seeded generator (the same sequence every run). */

/** Floats in [0, 1) (mulberry32). */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ENDPOINTS = {
  // The hot path: any unit, any of the bench's report types, as notification workers ask.
  chats: { path: '/report-routes/telegram-chats/', title: 'GET /report-routes/telegram-chats/ (hot path)' },
  // A chat and a type it subscribes to, as the bot asks when it draws a chat's keyboard.
  units: { path: '/report-routes/units/', title: 'GET /report-routes/units/' },
};

/** A function returning the next request path of this endpoint. */
export function lookupPaths(endpoint, ids, seed) {
  const next = random(seed);
  const pick = (list) => list[Math.floor(next() * list.length)];
  if (endpoint === 'chats') {
    return () => `${ENDPOINTS.chats.path}?unit_id=${pick(ids.units)}&report_type_id=${pick(ids.types)}`;
  }
  return () => {
    const [chat, type] = pick(ids.subscriptions);
    return `${ENDPOINTS.units.path}?chat_id=${chat}&report_type_id=${type}`;
  };
}
