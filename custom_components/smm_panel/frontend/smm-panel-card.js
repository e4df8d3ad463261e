/*
 * SMM Panel card: the account's orders (refill, cancel) and a new order
 * (catalogue picker, dry-run estimate, confirmation), served by the
 * integration itself. A plain web component: no build step, no library, no
 * network access but Home Assistant's WebSocket (the integration's commands,
 * which run its actions: the card can do nothing the actions cannot).
 */

const PAGE = 20;
const SEARCH_DELAY = 300;
const ESTIMATE_DELAY = 500;
const REFRESH_EVERY = 15000;

const STRINGS = {
  en: {
    orders: "Orders",
    new_order: "New order",
    no_orders: "No tracked orders yet.",
    account: "Account",
    balance: "Balance",
    remains: "{remains} of {quantity} left",
    delivered: "{done} / {quantity}",
    eta: "done {when}",
    refill: "Refill",
    cancel: "Cancel",
    confirm: "Confirm",
    back: "Back",
    confirm_refill: "Ask the panel to refill order {order} ({service})?",
    confirm_cancel: "Ask the panel to cancel order {order} ({service})?",
    refill_requested: "Order {order}: refill {refill} requested.",
    cancel_requested: "Order {order}: cancel requested.",
    cancel_request_id: "Order {order}: cancel requested (request {request}).",
    refused: "Order {order}: the panel refused: {error}",
    search: "Search services (name, category or number)",
    results: "{total} services",
    more: "More",
    change: "Change",
    per_1000: "{rate} per 1000",
    range: "min {min} – max {max}",
    lines_hint: "One per line: {min} – {max} lines",
    quantity_hint: "{min} – {max}",
    estimate: "Estimate",
    estimated_charge: "Estimated charge",
    balance_after: "Balance after",
    spending: "Spent in 24 h",
    spending_over: "Above the spending limit of {limit}: the order would be refused.",
    spending_ok: "{spent} of {limit}",
    duplicate: "Same order as {order}, placed a moment ago: it would be refused.",
    allow_duplicate: "Place it again anyway",
    inexact: "This service type is unknown to the integration: the estimate may be wrong.",
    allow_inexact: "Place it with an inexact estimate",
    place: "Place order",
    confirm_place: "Place this order? The panel charges it at once.",
    service: "Service",
    link: "Link",
    quantity: "Quantity",
    charge: "Estimated charge",
    placed: "Order {order} placed.",
    admin_only: "Only administrators can place, refill or cancel orders.",
    unauthorized: "Only administrators can do this.",
    no_account: "No SMM Panel account is loaded.",
    error: "Error: {error}",
    loading: "Loading…",
    fields: {
      link: "Link",
      quantity: "Quantity",
      runs: "Runs (drip-feed)",
      interval: "Interval in minutes (drip-feed)",
      comments: "Comments",
      usernames: "Usernames",
      hashtags: "Hashtags",
      hashtag: "Hashtag",
      username: "Username",
      media: "Media link",
      answer_number: "Answer number",
      groups: "Groups",
      keywords: "Keywords",
      min: "Minimum per post",
      max: "Maximum per post",
      posts: "New posts",
      old_posts: "Old posts",
      delay: "Delay in minutes",
      expiry: "Expiry date",
      country: "Country",
      device: "Device",
      type_of_traffic: "Type of traffic",
      google_keyword: "Google keyword",
      referring_url: "Referring URL",
    },
    status: {
      pending: "Pending",
      in_progress: "In progress",
      processing: "Processing",
      partial: "Partial",
      completed: "Completed",
      canceled: "Canceled",
      refunded: "Refunded",
      failed: "Failed",
      unknown: "Unknown",
    },
    editor: {
      config_entry_id: "Account (empty: choose in the card)",
      title: "Title",
      show_orders: "Show the orders",
      show_new_order: "Show the new order form",
      max_orders: "Most orders shown",
    },
    card_name: "SMM Panel",
    card_description: "Orders of an SMM panel account: place, refill and cancel.",
  },
  ar: {
    orders: "الطلبات",
    new_order: "طلب جديد",
    no_orders: "لا توجد طلبات متابَعة بعد.",
    account: "الحساب",
    balance: "الرصيد",
    remains: "المتبقي {remains} من {quantity}",
    delivered: "{done} / {quantity}",
    eta: "ينتهي {when}",
    refill: "إعادة تعبئة",
    cancel: "إلغاء",
    confirm: "تأكيد",
    back: "رجوع",
    confirm_refill: "هل تطلب من اللوحة إعادة تعبئة الطلب {order} ({service})؟",
    confirm_cancel: "هل تطلب من اللوحة إلغاء الطلب {order} ({service})؟",
    refill_requested: "الطلب {order}: طُلبت إعادة التعبئة {refill}.",
    cancel_requested: "الطلب {order}: طُلب الإلغاء.",
    cancel_request_id: "الطلب {order}: طُلب الإلغاء (الطلب {request}).",
    refused: "الطلب {order}: رفضت اللوحة: {error}",
    search: "ابحث في الخدمات (الاسم أو الفئة أو الرقم)",
    results: "{total} خدمة",
    more: "المزيد",
    change: "تغيير",
    per_1000: "{rate} لكل 1000",
    range: "الأدنى {min} – الأقصى {max}",
    lines_hint: "سطر لكل عنصر: {min} – {max} سطرًا",
    quantity_hint: "{min} – {max}",
    estimate: "التقدير",
    estimated_charge: "التكلفة التقديرية",
    balance_after: "الرصيد بعد الطلب",
    spending: "المصروف خلال 24 ساعة",
    spending_over: "يتجاوز حد الإنفاق {limit}: سيُرفض الطلب.",
    spending_ok: "{spent} من {limit}",
    duplicate: "الطلب نفسه مثل {order} الذي وُضع قبل قليل: سيُرفض.",
    allow_duplicate: "ضعه مرة أخرى على أي حال",
    inexact: "نوع هذه الخدمة غير معروف للتكامل: قد يكون التقدير خاطئًا.",
    allow_inexact: "ضعه بتقدير غير دقيق",
    place: "ضع الطلب",
    confirm_place: "هل تضع هذا الطلب؟ تخصم اللوحة ثمنه فورًا.",
    service: "الخدمة",
    link: "الرابط",
    quantity: "الكمية",
    charge: "التكلفة التقديرية",
    placed: "وُضع الطلب {order}.",
    admin_only: "وضع الطلبات وإعادة تعبئتها وإلغاؤها للمسؤولين فقط.",
    unauthorized: "هذا للمسؤولين فقط.",
    no_account: "لا يوجد حساب SMM Panel محمَّل.",
    error: "خطأ: {error}",
    loading: "جارٍ التحميل…",
    fields: {
      link: "الرابط",
      quantity: "الكمية",
      runs: "عدد الدفعات (تقطير)",
      interval: "الفاصل بالدقائق (تقطير)",
      comments: "التعليقات",
      usernames: "أسماء المستخدمين",
      hashtags: "الوسوم",
      hashtag: "الوسم",
      username: "اسم المستخدم",
      media: "رابط الوسائط",
      answer_number: "رقم الإجابة",
      groups: "المجموعات",
      keywords: "الكلمات المفتاحية",
      min: "الحد الأدنى لكل منشور",
      max: "الحد الأقصى لكل منشور",
      posts: "المنشورات الجديدة",
      old_posts: "المنشورات القديمة",
      delay: "التأخير بالدقائق",
      expiry: "تاريخ الانتهاء",
      country: "الدولة",
      device: "الجهاز",
      type_of_traffic: "نوع الزيارات",
      google_keyword: "كلمة بحث Google",
      referring_url: "رابط الإحالة",
    },
    status: {
      pending: "قيد الانتظار",
      in_progress: "قيد التنفيذ",
      processing: "قيد المعالجة",
      partial: "جزئي",
      completed: "مكتمل",
      canceled: "ملغى",
      refunded: "مسترد",
      failed: "فشل",
      unknown: "غير معروف",
    },
    editor: {
      config_entry_id: "الحساب (فارغ: يُختار في البطاقة)",
      title: "العنوان",
      show_orders: "عرض الطلبات",
      show_new_order: "عرض نموذج الطلب الجديد",
      max_orders: "أقصى عدد للطلبات المعروضة",
    },
    card_name: "SMM Panel",
    card_description: "طلبات حساب لوحة SMM: وضعها وإعادة تعبئتها وإلغاؤها.",
  },
};

// What kind of input each order field is.
const NUMBER_FIELDS = new Set([
  "quantity", "runs", "interval", "answer_number", "min", "max", "posts",
  "old_posts", "delay", "device", "type_of_traffic",
]);
const LIST_FIELDS = new Set(["comments", "usernames", "hashtags", "groups", "keywords"]);
const FINAL = new Set(["partial", "completed", "canceled", "refunded", "failed"]);

function language(hass) {
  const lang = (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
  return lang.split("-")[0] in STRINGS ? lang.split("-")[0] : "en";
}

function isRtl(hass) {
  const lang = (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
  const meta = hass && hass.translationMetadata && hass.translationMetadata.translations;
  if (meta && meta[lang] && typeof meta[lang].isRTL === "boolean") return meta[lang].isRTL;
  return ["ar", "fa", "he", "ur"].includes(lang.split("-")[0]);
}

function format(template, values = {}) {
  return template.replace(/\{(\w+)\}/g, (m, name) =>
    name in values && values[name] !== null && values[name] !== undefined
      ? String(values[name])
      : m,
  );
}

function numberLocale(hass) {
  const locale = (hass && hass.locale) || {};
  const lang = locale.language || (hass && hass.language) || "en";
  switch (locale.number_format) {
    case "comma_decimal": return "en-US";
    case "decimal_comma": return "de";
    case "space_comma": return "fr";
    case "none": return "en-US";
    case "system": return undefined;
    default: return lang;
  }
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "value") node.value = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const STYLE = `
  :host { display: block; }
  ha-card { padding: 12px 16px 16px; overflow: hidden; color: var(--primary-text-color); }
  .header { display: flex; align-items: center; gap: 8px; min-width: 0; margin-bottom: 8px; }
  .title { flex: 1; min-width: 0; font-size: 1.25em; font-weight: 500; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .balance { flex: none; color: var(--secondary-text-color); white-space: nowrap; }
  select, input, textarea {
    box-sizing: border-box; width: 100%; min-width: 0; font: inherit; color: var(--primary-text-color);
    background: var(--input-fill-color, var(--secondary-background-color, transparent));
    border: 1px solid var(--divider-color); border-radius: 6px; padding: 8px;
  }
  textarea { min-height: 64px; resize: vertical; }
  select.account { width: auto; max-width: 50%; flex: none; }
  h3 { font-size: 1em; font-weight: 500; margin: 16px 0 8px; color: var(--secondary-text-color); }
  .tabs { display: flex; gap: 4px; margin-bottom: 8px; }
  .tabs button { flex: 1; }
  button {
    font: inherit; border-radius: 18px; padding: 6px 14px; cursor: pointer; white-space: nowrap;
    border: 1px solid var(--primary-color); background: transparent; color: var(--primary-color);
  }
  button.primary, .tabs button.active { background: var(--primary-color); color: var(--text-primary-color, #fff); }
  button.danger { border-color: var(--error-color); color: var(--error-color); }
  button:disabled { opacity: 0.5; cursor: default; }
  .order { padding: 8px 0; border-bottom: 1px solid var(--divider-color); min-width: 0; }
  .order:last-child { border-bottom: none; }
  .row { display: flex; align-items: center; gap: 8px; min-width: 0; }
  .name { flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .id { color: var(--secondary-text-color); flex: none; }
  .status { flex: none; font-size: 0.85em; padding: 2px 8px; border-radius: 10px; white-space: nowrap;
    background: var(--secondary-background-color); color: var(--primary-text-color); }
  .status.completed { color: var(--success-color, var(--primary-color)); }
  .status.failed, .status.canceled, .status.refunded { color: var(--error-color); }
  .bar { height: 6px; border-radius: 3px; background: var(--divider-color); margin: 6px 0; overflow: hidden; }
  .bar > div { height: 100%; background: var(--primary-color); }
  .meta { flex: 1; min-width: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
    color: var(--secondary-text-color); font-size: 0.9em; }
  .message { margin: 8px 0; padding: 8px; border-radius: 6px; background: var(--secondary-background-color); overflow-wrap: anywhere; }
  .message.error { color: var(--error-color); }
  .message.ok { color: var(--success-color, var(--primary-text-color)); }
  .confirm { margin: 8px 0; padding: 12px; border-radius: 8px; border: 1px solid var(--primary-color);
    background: var(--card-background-color, var(--ha-card-background)); overflow-wrap: anywhere; }
  .confirm dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 8px 0; }
  .confirm dt { color: var(--secondary-text-color); }
  .confirm dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
  .actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 8px; flex-wrap: wrap; }
  .results { max-height: 320px; overflow-y: auto; overflow-x: hidden; margin-top: 4px; }
  .result { display: block; width: 100%; text-align: start; border: none; border-radius: 0;
    border-bottom: 1px solid var(--divider-color); color: var(--primary-text-color); padding: 6px 4px; }
  .result .name { display: block; }
  /* A service's name keeps its own direction (dir="auto"): an English name
     in an Arabic card is cut at its end, not its beginning, and still sits
     at the start of the row. */
  ha-card[dir="rtl"] .name { text-align: right; }
  .result .meta { display: block; }
  .chosen { display: flex; align-items: center; gap: 8px; min-width: 0; padding: 8px 0; }
  .chosen > div { flex: 1; min-width: 0; }
  label { display: block; margin-top: 8px; font-size: 0.9em; color: var(--secondary-text-color); }
  .hint { font-size: 0.8em; color: var(--secondary-text-color); }
  .estimate dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 8px 0; }
  .estimate dt { color: var(--secondary-text-color); }
  .estimate dd { margin: 0; text-align: end; white-space: nowrap; }
  .warning { color: var(--warning-color, var(--error-color)); }
  .check { display: flex; gap: 8px; align-items: center; color: var(--primary-text-color); }
  .check input { width: auto; }
  .muted { color: var(--secondary-text-color); }
`;

// Home Assistant's frontend installs a scoped custom element registry
// polyfill when its app loads; a module loaded earlier (as extra modules are)
// would define its elements in a registry the frontend no longer reads, and
// classes made before the polyfill extend the wrong HTMLElement. So the
// classes are made, and defined, once the app's own element is defined.
function defineElements() {
  if (window.customElements.get("smm-panel-card")) return;
class SmmPanelCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._accounts = null;
    this._entryId = null;
    this._orders = null;
    this._account = null;
    this._message = null;
    this._confirm = null;
    this._busy = false;
    this._tab = "orders";
    this._search = "";
    this._results = null;
    this._service = null;
    this._values = {};
    this._estimate = null;
    this._estimateError = null;
    this._allow = { allow_duplicate: false, allow_inexact_estimate: false };
    this._lastFetch = 0;
    this._localize = null;
    this._renderedLanguage = null;
  }

  static getStubConfig() {
    return {};
  }

  static getConfigElement() {
    return document.createElement("smm-panel-card-editor");
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    for (const key of ["config_entry_id", "title"]) {
      if (config[key] !== undefined && typeof config[key] !== "string") {
        throw new Error(`${key} must be text`);
      }
    }
    if (config.max_orders !== undefined && !(Number.isInteger(config.max_orders) && config.max_orders > 0)) {
      throw new Error("max_orders must be a whole number above 0");
    }
    this._config = { show_orders: true, show_new_order: true, ...config };
    this._entryId = this._config.config_entry_id || this._entryId;
    this._tab = this._config.show_orders ? "orders" : "new";
    if (this._hass) this._render();
  }

  getCardSize() {
    return 2 + Math.min((this._orders || []).length, this._config.max_orders || 10);
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6 };
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (first) {
      this._start();
      return;
    }
    if (language(hass) !== this._renderedLanguage) this._render();
    if (Date.now() - this._lastFetch > REFRESH_EVERY) this._refreshQuietly();
  }

  get hass() {
    return this._hass;
  }

  connectedCallback() {
    this._timer = setInterval(() => {
      if (this._hass) this._refreshQuietly();
    }, REFRESH_EVERY * 2);
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  // --- helpers -------------------------------------------------------------

  _t(key, values) {
    const strings = STRINGS[language(this._hass)];
    const path = key.split(".");
    let text = strings;
    for (const part of path) text = text && text[part];
    if (typeof text !== "string") {
      text = STRINGS.en;
      for (const part of path) text = text && text[part];
    }
    return format(typeof text === "string" ? text : key, values);
  }

  _money(amount, currency) {
    if (amount === null || amount === undefined) return "–";
    const digits = this._moneyDigits();
    const number = new Intl.NumberFormat(numberLocale(this._hass), {
      minimumFractionDigits: digits,
      maximumFractionDigits: Math.max(digits, 5),
    }).format(amount);
    return currency ? `${number} ${currency}` : number;
  }

  // The panel's precision, shown alike for every amount (0.0369 beside
  // 0.9000, not 0.90): the most decimals of the balance and the charges it
  // sent, at least 2, at most 5.
  _moneyDigits() {
    const amounts = [this._account && this._account.balance];
    for (const order of this._orders || []) amounts.push(order.charge);
    let digits = 2;
    for (const amount of amounts) {
      if (typeof amount !== "number" || !Number.isFinite(amount)) continue;
      const fraction = String(amount).split(".")[1] || "";
      if (!/e/i.test(fraction)) digits = Math.max(digits, fraction.length);
    }
    return Math.min(digits, 5);
  }

  _number(value) {
    if (value === null || value === undefined) return "–";
    return new Intl.NumberFormat(numberLocale(this._hass)).format(value);
  }

  _when(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return null;
    const seconds = (date.getTime() - Date.now()) / 1000;
    const rtf = new Intl.RelativeTimeFormat(language(this._hass), { numeric: "auto" });
    const abs = Math.abs(seconds);
    if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
    return rtf.format(Math.round(seconds / 86400), "day");
  }

  _isAdmin() {
    return Boolean(this._hass && this._hass.user && this._hass.user.is_admin);
  }

  async _ws(command, data = {}) {
    const message = { type: `smm_panel/${command}`, ...data };
    if (this._entryId) message.config_entry_id = this._entryId;
    return this._hass.callWS(message);
  }

  _errorText(err) {
    if (!err) return "";
    if (err.code === "unauthorized") return this._t("unauthorized");
    if (err.translation_key && this._localize) {
      const text = this._localize(
        `component.smm_panel.exceptions.${err.translation_key}.message`,
        err.translation_placeholders || {},
      );
      if (text) return text;
    }
    return err.message || String(err);
  }

  // --- data --------------------------------------------------------------------

  async _start() {
    this._render();
    if (this._hass.loadBackendTranslation) {
      this._hass
        .loadBackendTranslation("exceptions", "smm_panel")
        .then((localize) => { this._localize = localize; })
        .catch(() => {});
    }
    try {
      const { accounts } = await this._hass.callWS({ type: "smm_panel/accounts" });
      this._accounts = accounts;
      if (!this._entryId && accounts.length) this._entryId = accounts[0].config_entry_id;
    } catch (err) {
      this._message = { error: true, text: this._errorText(err) };
    }
    await this._refresh();
  }

  async _refresh(render = true) {
    if (!this._entryId) {
      this._render();
      return;
    }
    this._lastFetch = Date.now();
    try {
      const reply = await this._ws("orders");
      this._orders = reply.orders;
      this._account = reply.account;
    } catch (err) {
      this._orders = [];
      this._message = { error: true, text: this._errorText(err) };
    }
    if (render) this._render();
  }

  // Background refreshes leave a form being filled in alone.
  _refreshQuietly() {
    if (this._busy || this._confirm) return;
    this._refresh(this._tab === "orders");
  }

  _chooseAccount(entryId) {
    this._entryId = entryId;
    this._orders = null;
    this._service = null;
    this._results = null;
    this._estimate = null;
    this._estimateError = null;
    this._message = null;
    this._refresh();
    if (this._search) this._runSearch(0);
  }

  // --- orders: refill and cancel ---------------------------------------------

  _ask(kind, order) {
    this._message = null;
    this._confirm = { kind, order };
    this._render();
  }

  async _act() {
    const { kind, order } = this._confirm;
    this._busy = true;
    this._render();
    try {
      if (kind === "place") {
        const reply = await this._ws("place", { order: this._orderData() });
        this._message = { ok: true, text: this._t("placed", { order: reply.order }) };
        this._service = null;
        this._values = {};
        this._estimate = null;
        this._allow = { allow_duplicate: false, allow_inexact_estimate: false };
        this._tab = this._config.show_orders ? "orders" : "new";
      } else {
        const reply = await this._ws(kind, { order: order.order_id });
        this._message = this._answerOf(kind, reply);
      }
    } catch (err) {
      this._message = { error: true, text: this._errorText(err) };
    }
    this._confirm = null;
    this._busy = false;
    await this._refresh();
  }

  _answerOf(kind, reply) {
    if (reply.error) {
      return { error: true, text: this._t("refused", { order: reply.order, error: reply.error }) };
    }
    if (kind === "refill") {
      return { ok: true, text: this._t("refill_requested", { order: reply.order, refill: reply.refill }) };
    }
    if (reply.request_id) {
      return { ok: true, text: this._t("cancel_request_id", { order: reply.order, request: reply.request_id }) };
    }
    return { ok: true, text: this._t("cancel_requested", { order: reply.order }) };
  }

  // --- new order: picker, fields, estimate -------------------------------------

  _onSearch(value) {
    this._search = value;
    clearTimeout(this._searchTimer);
    this._searchTimer = setTimeout(() => this._runSearch(0), SEARCH_DELAY);
  }

  async _runSearch(offset) {
    const search = this._search;
    const token = (this._searchToken = (this._searchToken || 0) + 1);
    try {
      const reply = await this._ws("catalogue", { search, offset, limit: PAGE });
      if (token !== this._searchToken) return; // a newer search answered first
      const previous = offset && this._results ? this._results.services : [];
      this._results = { total: reply.total, services: [...previous, ...reply.services] };
    } catch (err) {
      if (token !== this._searchToken) return;
      this._results = { total: 0, services: [], error: this._errorText(err) };
    }
    this._renderNewOrder();
  }

  _choose(service) {
    this._service = service;
    this._values = {};
    this._estimate = null;
    this._estimateError = null;
    this._allow = { allow_duplicate: false, allow_inexact_estimate: false };
    this._renderNewOrder();
  }

  _fieldNames() {
    if (!this._service) return [];
    const { required, optional } = this._service.fields;
    return [...required, ...optional];
  }

  _orderData() {
    const data = { service: this._service.service };
    for (const name of this._fieldNames()) {
      const raw = this._values[name];
      if (raw === undefined || raw === "") continue;
      if (NUMBER_FIELDS.has(name)) data[name] = Number(raw);
      else if (LIST_FIELDS.has(name)) data[name] = raw.split("\n").map((l) => l.trim()).filter(Boolean);
      else data[name] = raw.trim();
    }
    for (const [name, allowed] of Object.entries(this._allow)) if (allowed) data[name] = true;
    return data;
  }

  _complete() {
    return this._service && this._service.fields.required.every(
      (name) => (this._values[name] || "").toString().trim() !== "",
    );
  }

  _onField(name, value) {
    this._values[name] = value;
    this._scheduleEstimate();
  }

  _scheduleEstimate() {
    clearTimeout(this._estimateTimer);
    this._estimate = null;
    this._estimateError = null;
    this._updateEstimate();
    if (!this._complete()) return;
    this._estimateTimer = setTimeout(() => this._runEstimate(), ESTIMATE_DELAY);
  }

  async _runEstimate() {
    const token = (this._estimateToken = (this._estimateToken || 0) + 1);
    try {
      const reply = await this._ws("estimate", { order: this._orderData() });
      if (token !== this._estimateToken) return;
      this._estimate = reply;
      this._estimateError = null;
    } catch (err) {
      if (token !== this._estimateToken) return;
      this._estimate = null;
      this._estimateError = this._errorText(err);
    }
    this._updateEstimate();
  }

  _blocked() {
    const e = this._estimate;
    if (!e) return true;
    if (e.duplicate_of && !this._allow.allow_duplicate) return true;
    if (e.estimate_exact === false && !this._allow.allow_inexact_estimate) return true;
    return false;
  }

  // --- rendering -----------------------------------------------------------------

  _render() {
    if (!this._hass) return;
    this._renderedLanguage = language(this._hass);
    const card = el("ha-card", { dir: isRtl(this._hass) ? "rtl" : "ltr", lang: this._renderedLanguage });
    card.append(this._header());
    if (this._accounts && !this._accounts.length) {
      card.append(el("div", { class: "message" }, this._t("no_account")));
    } else {
      const { show_orders: orders, show_new_order: newOrder } = this._config;
      if (orders && newOrder) {
        card.append(el("div", { class: "tabs" },
          el("button", { class: this._tab === "orders" ? "active" : "", "data-tab": "orders", onclick: () => this._setTab("orders") }, this._t("orders")),
          el("button", { class: this._tab === "new" ? "active" : "", "data-tab": "new", onclick: () => this._setTab("new") }, this._t("new_order")),
        ));
      }
      if (this._message) {
        card.append(el("div", { class: `message ${this._message.error ? "error" : "ok"}`, role: "status" }, this._message.text));
      }
      if (this._confirm) card.append(this._confirmBox());
      if (this._tab === "orders" && orders) card.append(this._ordersList());
      if (this._tab === "new" && newOrder) {
        this._newOrderBox = el("div", { class: "new-order" });
        card.append(this._newOrderBox);
        this._fillNewOrder();
      }
    }
    this.shadowRoot.replaceChildren(el("style", {}, STYLE), card);
  }

  _setTab(tab) {
    this._tab = tab;
    this._message = null;
    this._render();
  }

  _header() {
    const accounts = this._accounts || [];
    const account = this._account || accounts.find((a) => a.config_entry_id === this._entryId);
    const header = el("div", { class: "header" },
      el("div", { class: "title" }, this._config.title || (account ? account.title : "SMM Panel")),
    );
    if (!this._config.config_entry_id && accounts.length > 1) {
      const select = el("select", {
        class: "account",
        "aria-label": this._t("account"),
        onchange: (ev) => this._chooseAccount(ev.target.value),
      }, accounts.map((a) => el("option", { value: a.config_entry_id, selected: a.config_entry_id === this._entryId }, a.title)));
      header.append(select);
    }
    if (account && account.balance !== null) {
      header.append(el("div", { class: "balance" }, this._money(account.balance, account.currency)));
    }
    return header;
  }

  _ordersList() {
    const box = el("div", { class: "orders" });
    if (this._orders === null) return el("div", { class: "muted" }, this._t("loading"));
    if (!this._orders.length) return el("div", { class: "muted" }, this._t("no_orders"));
    const admin = this._isAdmin();
    for (const order of this._orders.slice(0, this._config.max_orders || 50)) {
      box.append(this._orderRow(order, admin));
    }
    if (!admin) box.append(el("div", { class: "muted hint" }, this._t("admin_only")));
    return box;
  }

  _orderRow(order, admin) {
    const progress = order.progress === null || order.progress === undefined ? 0 : order.progress;
    const meta = [];
    if (order.quantity) {
      meta.push(order.remains === null || order.remains === undefined
        ? this._number(order.quantity)
        : this._t("remains", { remains: this._number(order.remains), quantity: this._number(order.quantity) }));
    }
    if (order.charge !== null && order.charge !== undefined) meta.push(this._money(order.charge, order.currency));
    if (order.estimated_completion && !order.finished) {
      const when = this._when(order.estimated_completion);
      if (when) meta.push(this._t("eta", { when }));
    }
    const row = el("div", { class: "order", "data-order": order.order_id },
      el("div", { class: "row" },
        el("span", { class: "id" }, `#${order.order_id}`),
        el("span", { class: "name", dir: "auto", title: order.service_name || "" }, order.service_name || order.service_id || ""),
        el("span", { class: `status ${order.status}` }, this._t(`status.${order.status}`)),
      ),
      el("div", { class: "bar", role: "progressbar", "aria-valuenow": String(progress), "aria-valuemin": "0", "aria-valuemax": "100" },
        el("div", { style: `width: ${Math.max(0, Math.min(100, progress))}%` })),
    );
    const line = el("div", { class: "row" }, el("span", { class: "meta" }, meta.join(" · ")));
    if (admin && order.can_refill) {
      line.append(el("button", { class: "refill", disabled: this._busy, onclick: () => this._ask("refill", order) }, this._t("refill")));
    }
    if (admin && order.can_cancel) {
      line.append(el("button", { class: "cancel danger", disabled: this._busy, onclick: () => this._ask("cancel", order) }, this._t("cancel")));
    }
    row.append(line);
    return row;
  }

  _confirmBox() {
    const { kind, order } = this._confirm;
    const box = el("div", { class: "confirm", role: "alertdialog" });
    if (kind === "place") {
      const data = this._orderData();
      const target = data.link || data.username || "–";
      const quantity = data.quantity;
      box.append(
        el("div", {}, this._t("confirm_place")),
        el("dl", {},
          el("dt", {}, this._t("service")), el("dd", {}, `${this._service.service} · ${this._service.name}`),
          el("dt", {}, this._t("link")), el("dd", { dir: "ltr" }, target),
          el("dt", {}, this._t("quantity")), el("dd", {}, quantity === undefined ? "–" : this._number(quantity)),
          el("dt", {}, this._t("charge")), el("dd", {}, this._money(this._estimate.estimated_charge, this._estimate.currency)),
        ),
      );
    } else {
      box.append(el("div", {}, this._t(`confirm_${kind}`, { order: order.order_id, service: order.service_name || order.service_id })));
    }
    box.append(el("div", { class: "actions" },
      el("button", { class: "back", disabled: this._busy, onclick: () => { this._confirm = null; this._render(); } }, this._t("back")),
      el("button", { class: "confirm-button primary", disabled: this._busy, onclick: () => this._act() }, this._t("confirm")),
    ));
    return box;
  }

  _renderNewOrder() {
    if (this._newOrderBox && this._newOrderBox.isConnected) this._fillNewOrder();
  }

  _fillNewOrder() {
    const box = this._newOrderBox;
    const focused = this.shadowRoot.activeElement;
    const focusName = focused && focused.getAttribute && focused.getAttribute("name");
    box.replaceChildren();
    if (!this._service) {
      box.append(el("input", {
        type: "search",
        name: "search",
        class: "search",
        placeholder: this._t("search"),
        "aria-label": this._t("search"),
        value: this._search,
        oninput: (ev) => this._onSearch(ev.target.value),
      }));
      if (this._results === null) this._runSearch(0);
      else box.append(this._resultsList());
    } else {
      box.append(this._chosen(), ...this._fields(), this._estimateBox());
    }
    if (focusName) {
      const again = box.querySelector(`[name="${focusName}"]`);
      if (again) {
        again.focus();
        if (again.setSelectionRange && again.type !== "number") {
          const end = again.value.length;
          again.setSelectionRange(end, end);
        }
      }
    }
  }

  _resultsList() {
    const list = el("div", { class: "results" });
    if (this._results.error) return el("div", { class: "message error" }, this._results.error);
    list.append(el("div", { class: "hint count" }, this._t("results", { total: this._number(this._results.total) })));
    for (const service of this._results.services) {
      list.append(el("button", { class: "result", "data-service": service.service, onclick: () => this._choose(service) },
        el("span", { class: "name", dir: "auto" }, `${service.service} · ${service.name}`),
        el("span", { class: "meta" }, [
          service.category,
          this._t("per_1000", { rate: this._money(service.rate, service.currency) }),
          this._t("range", { min: this._number(service.min), max: this._number(service.max) }),
        ].join(" · ")),
      ));
    }
    if (this._results.services.length < this._results.total) {
      list.append(el("button", { class: "more", onclick: () => this._runSearch(this._results.services.length) }, this._t("more")));
    }
    return list;
  }

  _chosen() {
    const s = this._service;
    return el("div", { class: "chosen" },
      el("div", {},
        el("div", { class: "name", dir: "auto" }, `${s.service} · ${s.name}`),
        el("div", { class: "meta" }, [
          s.category,
          this._t("per_1000", { rate: this._money(s.rate, s.currency) }),
          this._t("range", { min: this._number(s.min), max: this._number(s.max) }),
        ].join(" · ")),
      ),
      el("button", { class: "change", onclick: () => this._choose(null) }, this._t("change")),
    );
  }

  _fields() {
    const s = this._service;
    const nodes = [];
    for (const name of this._fieldNames()) {
      const id = `field-${name}`;
      const required = s.fields.required.includes(name);
      let hint = null;
      if (name === "quantity" || (s.fields.billing !== "quantity" && (name === "min" || name === "max"))) {
        hint = this._t("quantity_hint", { min: this._number(s.min), max: this._number(s.max) });
      } else if (name === s.fields.counted_field) {
        hint = this._t("lines_hint", { min: this._number(s.min), max: this._number(s.max) });
      }
      const common = {
        id,
        name,
        required,
        value: this._values[name] || "",
        oninput: (ev) => this._onField(name, ev.target.value),
      };
      let input;
      if (LIST_FIELDS.has(name)) input = el("textarea", common);
      else if (NUMBER_FIELDS.has(name)) {
        const bounds = name === "quantity" ? { min: String(s.min), max: String(s.max) } : { min: "0" };
        input = el("input", { ...common, type: "number", inputmode: "numeric", step: "1", ...bounds });
      } else if (name === "expiry") input = el("input", { ...common, type: "date" });
      else input = el("input", { ...common, type: name === "link" || name === "referring_url" ? "url" : "text", dir: name === "link" ? "ltr" : undefined });
      nodes.push(el("label", { for: id }, this._t(`fields.${name}`) + (required ? " *" : "")), input);
      if (hint) nodes.push(el("div", { class: "hint" }, hint));
    }
    return nodes;
  }

  _estimateBox() {
    this._estimateNode = el("div", { class: "estimate" });
    this._updateEstimate();
    return this._estimateNode;
  }

  _updateEstimate() {
    const box = this._estimateNode;
    if (!box) return;
    box.replaceChildren();
    const e = this._estimate;
    if (this._estimateError) {
      box.append(el("div", { class: "message error" }, this._estimateError));
    } else if (e) {
      const rows = [
        [this._t("estimated_charge"), this._money(e.estimated_charge, e.currency), "charge"],
        [this._t("balance_after"), this._money(e.balance_after, e.currency), "balance-after"],
      ];
      if (e.spending_limit) {
        rows.push([this._t("spending"), this._t("spending_ok", { spent: this._money(e.spent_last_24h), limit: this._money(e.spending_limit, e.currency) }), "spending"]);
      }
      box.append(el("dl", {}, rows.map(([label, value, cls]) => [el("dt", {}, label), el("dd", { class: cls }, value)])));
      if (e.within_spending_limit === false) {
        box.append(el("div", { class: "warning spending-over" }, this._t("spending_over", { limit: this._money(e.spending_limit, e.currency) })));
      }
      if (e.duplicate_of) {
        box.append(el("div", { class: "warning duplicate" }, this._t("duplicate", { order: e.duplicate_of })));
        box.append(this._allowBox("allow_duplicate"));
      }
      if (e.estimate_exact === false) {
        box.append(el("div", { class: "warning inexact" }, this._t("inexact")));
        box.append(this._allowBox("allow_inexact_estimate"));
      }
    }
    if (this._isAdmin()) {
      box.append(el("div", { class: "actions" },
        el("button", {
          class: "place primary",
          disabled: this._busy || this._blocked(),
          onclick: () => this._ask("place", null),
        }, this._t("place")),
      ));
    } else {
      box.append(el("div", { class: "muted hint" }, this._t("admin_only")));
    }
  }

  _allowBox(name) {
    return el("label", { class: "check" },
      el("input", {
        type: "checkbox",
        name,
        checked: this._allow[name],
        onchange: (ev) => { this._allow[name] = ev.target.checked; this._scheduleEstimate(); },
      }),
      this._t(name === "allow_duplicate" ? "allow_duplicate" : "allow_inexact"),
    );
  }
}

class SmmPanelCardEditor extends HTMLElement {
  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  _render() {
    if (!this._hass || !this._config) return;
    if (!this._form) {
      this._form = document.createElement("ha-form");
      this._form.addEventListener("value-changed", (ev) => {
        const config = { ...this._config, ...ev.detail.value };
        for (const key of Object.keys(config)) {
          if (config[key] === "" || config[key] === undefined || config[key] === null) delete config[key];
        }
        this._config = config;
        this.dispatchEvent(new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }));
      });
      this.append(this._form);
    }
    const lang = language(this._hass);
    this._form.hass = this._hass;
    this._form.data = { show_orders: true, show_new_order: true, ...this._config };
    this._form.schema = [
      { name: "config_entry_id", selector: { config_entry: { integration: "smm_panel" } } },
      { name: "title", selector: { text: {} } },
      { name: "show_orders", selector: { boolean: {} } },
      { name: "show_new_order", selector: { boolean: {} } },
      { name: "max_orders", selector: { number: { min: 1, max: 100, mode: "box" } } },
    ];
    this._form.computeLabel = (field) => STRINGS[lang].editor[field.name] || field.name;
  }
}

  window.customElements.define("smm-panel-card", SmmPanelCard);
  window.customElements.define("smm-panel-card-editor", SmmPanelCardEditor);
}

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === "smm-panel-card")) {
  const strings = STRINGS[(navigator.language || "en").split("-")[0]] || STRINGS.en;
  window.customCards.push({
    type: "smm-panel-card",
    name: strings.card_name,
    description: strings.card_description,
    preview: false,
    documentationURL: "https://github.com/smm-panel-ha/smm_panel#dashboard-card",
  });
}
Promise.race([
  customElements.whenDefined("home-assistant"),
  // Pages without the app's element (e.g. a cast receiver): do not wait forever.
  new Promise((resolve) => setTimeout(resolve, 5000)),
]).then(defineElements);
