/*
 * The policy editor: a visual condition builder (nested 全部/任一/排除 groups), the reward and examples
 * editors, and the YAML view beside them that follows every change.
 *
 * Plain JavaScript, no build step and nothing fetched from elsewhere. What the builder may offer
 * (fields, their types, Chinese labels, units, the operators valid for each type) comes from the rules
 * engine's field registry, written into the page as JSON (#builder-config); the builder keeps a model of
 * the item, writes the item's rules as JSON into the form's hidden inputs, and asks the server (the
 * same validation that saving runs) for faults by path ("eligibility.all[1].any[0].value"), which it
 * shows beside the node they belong to. Values are also checked here as they are typed, for speed.
 *
 * YAML: the view is generated here in the layout of DATA-CONTRACT.md section 2; text typed into it is
 * read by the server with the import's safe YAML reader ("应用到编辑器"), never parsed here.
 */
(function () {
  "use strict";

  const form = document.getElementById("item-form");
  if (!form) return;

  const config = JSON.parse(document.getElementById("builder-config").textContent);
  const initial = JSON.parse(document.getElementById("builder-state").textContent) || {};
  let serverErrors = JSON.parse(document.getElementById("rule-errors").textContent) || {};
  let exampleResults = {};

  const FIELDS = {};
  config.fields.forEach(function (f) { FIELDS[f.name] = f; });
  const OPS = config.operators;
  const STATUSES = config.statuses;
  const LIST_OPS = ["in", "not_in", "contains_any", "contains_all", "starts_with"];
  const NO_VALUE_OPS = ["is_null", "is_not_null"];
  const DEFAULT_OP = { number: "ge", integer: "ge", date: "le", string: "eq", enum: "eq", bool: "eq", tags: "contains" };
  const NUMBER_RE = /^-?\d+(\.\d+)?$/;
  const INTEGER_RE = /^-?\d+$/;
  const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
  const RULE_ROOTS = ["eligibility", "reward", "examples"];
  const ITEM_KEYS = ["code", "title", "policy", "document_number", "level", "region_code", "department",
    "effective_from", "effective_to", "auto_entitlement", "budget_amount", "application_opens_on",
    "application_closes_on"];
  const DATE_KEYS = ["effective_from", "effective_to", "application_opens_on", "application_closes_on"];

  // ------------------------------------------------------------------------------------ helpers
  function h(tag, props) {
    const el = document.createElement(tag);
    const children = Array.prototype.slice.call(arguments, 2);
    Object.keys(props || {}).forEach(function (key) {
      const value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.keys(value).forEach(function (k) { el.dataset[k] = value[k]; });
      else if (key === "value") el.value = value;
      else if (key === "checked") el.checked = value;
      else el.setAttribute(key, value === true ? "" : value);
    });
    children.flat(Infinity).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function iconButton(icon, title, onclick, extra) {
    return h("button", { type: "button", class: "btn btn-sm " + (extra || "btn-outline-secondary"), title: title,
      "aria-label": title, onclick: onclick }, h("i", { "aria-hidden": "true", class: "bi bi-" + icon }));
  }

  function textButton(icon, label, onclick, extra) {
    return h("button", { type: "button", class: "btn btn-sm " + (extra || "btn-outline-secondary"), onclick: onclick },
      h("i", { "aria-hidden": "true", class: "bi bi-" + icon + " me-1" }), label);
  }

  /** Move the decimal point of a decimal text by `places` (exact: percentages are typed, ratios stored). */
  function shiftDecimal(text, places) {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!m) return text;
    let digits = m[2] + (m[3] || "");
    let point = m[2].length + places;
    if (point <= 0) { digits = "0".repeat(1 - point) + digits; point = 1; }
    if (point > digits.length) digits += "0".repeat(point - digits.length);
    const whole = digits.slice(0, point).replace(/^0+(?=\d)/, "");
    const fraction = digits.slice(point).replace(/0+$/, "");
    const out = fraction ? whole + "." + fraction : whole;
    return m[1] && /[1-9]/.test(out) ? "-" + out : out;
  }

  function numberText(n) {
    let text = String(n);
    if (/e/i.test(text)) text = n.toFixed(12).replace(/\.?0+$/, "");
    return text;
  }

  function yuanHint(text) {
    if (!NUMBER_RE.test(text)) return "";
    const n = Number(text);
    const abs = Math.abs(n);
    const fmt = function (v) { return v.toLocaleString("zh-CN", { maximumFractionDigits: 4 }); };
    if (abs >= 1e8) return "= " + fmt(n / 1e8) + " 亿元";
    if (abs >= 1e4) return "= " + fmt(n / 1e4) + " 万元";
    return "";
  }

  function csrfToken() {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    });
  }

  /** A date value: written plain in YAML (read back as a date), as text in JSON. */
  function YDate(text) { this.text = text; }
  YDate.prototype.toJSON = function () { return this.text; };
  /** A formula: always in double quotes in YAML, as the contract writes it. */
  function YQuoted(text) { this.text = text; }
  YQuoted.prototype.toJSON = function () { return this.text; };

  // ------------------------------------------------------------------------------- value model
  function fieldSpec(name) { return FIELDS[name] || null; }

  function toDisplay(spec, value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "boolean") return value ? "true" : "false";
    if (typeof value === "number") {
      const text = numberText(value);
      return spec && spec.is_percent ? shiftDecimal(text, 2) : text;
    }
    return String(value);
  }

  function fromDisplay(spec, text) {
    if (!spec) return text;
    if (spec.is_numeric) {
      const t = text.trim();
      if (NUMBER_RE.test(t)) return Number(spec.is_percent ? shiftDecimal(t, -2) : t);
      return text;
    }
    if (spec.type === "bool") return text === "true" ? true : text === "false" ? false : text;
    if (spec.type === "date") return DATE_RE.test(text) ? new YDate(text) : text;
    return text;
  }

  /** Why a typed value is not acceptable for the field ("" when it is). Mirrors rules/schema.py. */
  function valueProblem(spec, text) {
    const t = (text || "").trim();
    if (t === "") return "请填写值";
    switch (spec.type) {
      case "number":
      case "integer": {
        if (!NUMBER_RE.test(t)) return "须为数值" + (spec.unit ? "（单位：" + spec.unit + "）" : "") + "，如 10000000，不加逗号和单位";
        if (spec.type === "integer" && !INTEGER_RE.test(t)) return "须为整数";
        const stored = spec.is_percent ? shiftDecimal(t, -2) : t;
        const fraction = stored.split(".")[1] || "";
        if (fraction.length > 12) return "最多 12 位小数";
        if (Math.abs(Number(stored)) >= 1e15) return "须小于 10^15";
        return "";
      }
      case "date": {
        if (!DATE_RE.test(t)) return "须为日期 YYYY-MM-DD";
        const d = new Date(t + "T00:00:00Z");
        if (isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) return "不是有效日期";
        return "";
      }
      case "enum":
        return spec.enum_values.some(function (pair) { return pair[0] === t; }) ? "" : "请从可选值中选择";
      case "bool":
        return t === "true" || t === "false" ? "" : "请选择 是 或 否";
      default:
        return "";
    }
  }

  function compareValues(spec, low, high) {
    if (spec.is_numeric) return Number(low) - Number(high);
    return low < high ? -1 : low > high ? 1 : 0;
  }

  // ---------------------------------------------------------------------------- condition model
  function newLeaf() { return { kind: "leaf", field: "", op: "", value: "", low: "", high: "", values: [] }; }
  function newGroup(op) { return { kind: "group", op: op || "all", children: [] }; }

  function conditionFromData(data) {
    if (data && typeof data === "object" && !Array.isArray(data)) {
      const keys = Object.keys(data);
      if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any") && Array.isArray(data[keys[0]])) {
        return { kind: "group", op: keys[0], children: data[keys[0]].map(conditionFromData) };
      }
      if (keys.length === 1 && keys[0] === "not") return { kind: "not", child: conditionFromData(data.not) };
      if ("field" in data && keys.every(function (k) { return ["field", "op", "value"].indexOf(k) >= 0; })) {
        const leaf = newLeaf();
        leaf.field = typeof data.field === "string" ? data.field : "";
        leaf.touched = true;
        leaf.op = typeof data.op === "string" ? data.op : "";
        const spec = fieldSpec(leaf.field);
        const value = data.value;
        // A field the registry does not know keeps its value as written (its type is unknown).
        if (!spec) leaf.raw = data;
        if (leaf.op === "between" && Array.isArray(value)) {
          leaf.low = toDisplay(spec, value[0]);
          leaf.high = toDisplay(spec, value[1]);
        } else if (LIST_OPS.indexOf(leaf.op) >= 0) {
          leaf.values = (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value])
            .map(function (v) { return toDisplay(spec, v); });
        } else {
          leaf.value = toDisplay(spec, value);
        }
        return leaf;
      }
    }
    return { kind: "raw", data: data };
  }

  function conditionToData(node) {
    if (node.kind === "group") {
      const out = {};
      out[node.op] = node.children.map(conditionToData);
      return out;
    }
    if (node.kind === "not") return { not: conditionToData(node.child) };
    if (node.kind === "raw") return node.data;
    const spec = fieldSpec(node.field);
    if (!spec && node.raw && node.raw.field === node.field) return node.raw;
    const out = { field: node.field, op: node.op };
    if (!node.op || NO_VALUE_OPS.indexOf(node.op) >= 0) return out;
    const convert = function (text) { return fromDisplay(spec, text); };
    if (node.op === "between") out.value = [convert(node.low), convert(node.high)];
    else if (node.op === "starts_with") out.value = node.values.length === 1 ? node.values[0] : node.values.slice();
    else if (LIST_OPS.indexOf(node.op) >= 0) out.value = node.values.map(convert);
    else out.value = convert(node.value);
    return out;
  }

  /** Problems of a leaf found here, by part: field, op, value, low, high, values. */
  function leafProblems(node) {
    const problems = {};
    const spec = fieldSpec(node.field);
    if (!spec) { problems.field = node.field ? "未知字段“" + node.field + "”" : "请选择字段"; return problems; }
    if (spec.operators.indexOf(node.op) < 0) { problems.op = "请选择运算符"; return problems; }
    if (NO_VALUE_OPS.indexOf(node.op) >= 0) return problems;
    if (node.op === "between") {
      const low = valueProblem(spec, node.low);
      const high = valueProblem(spec, node.high);
      if (low) problems.low = "下限" + low;
      if (high) problems.high = "上限" + high;
      if (!low && !high && compareValues(spec, node.low.trim(), node.high.trim()) > 0) problems.high = "下限不能大于上限";
    } else if (LIST_OPS.indexOf(node.op) >= 0) {
      if (!node.values.length) problems.values = spec.type === "enum" ? "请至少选择一项" : "请至少填写一项（输入后按回车）";
      node.values.some(function (v) {
        const p = spec.type === "tags" || node.op === "starts_with" ? (v.trim() ? "" : "不能为空") : valueProblem(spec, v);
        if (p) problems.values = "“" + v + "”" + p;
        return !!p;
      });
    } else if (spec.type === "tags" || spec.type === "string") {
      if (!node.value.trim() && spec.type === "tags") problems.value = "请填写标签";
    } else {
      const p = valueProblem(spec, node.value);
      if (p) problems.value = p;
    }
    return problems;
  }

  // -------------------------------------------------------------------------------- item model
  const model = { eligibility: null, reward: null, examples: [] };

  function rewardFromData(data) {
    const reward = { kind: "none", fixed: "", formula: "", tiers: [], hasCap: false, cap: "" };
    if (!data || typeof data !== "object") return reward;
    if ("tiers" in data && Array.isArray(data.tiers)) {
      reward.kind = "tiers";
      reward.tiers = data.tiers.map(function (tier) {
        tier = tier || {};
        return {
          when: tier.when === undefined ? newLeaf() : conditionFromData(tier.when),
          kind: "formula" in tier ? "formula" : "fixed",
          fixed: toDisplay(null, tier.fixed),
          formula: tier.formula === undefined ? "" : String(tier.formula),
        };
      });
    } else if ("formula" in data) {
      reward.kind = "formula";
      reward.formula = String(data.formula === null ? "" : data.formula);
    } else if ("fixed" in data) {
      reward.kind = "fixed";
      reward.fixed = toDisplay(null, data.fixed);
    }
    if (data.cap !== undefined && data.cap !== null) { reward.hasCap = true; reward.cap = toDisplay(null, data.cap); }
    return reward;
  }

  function money(text) { const t = (text || "").trim(); return NUMBER_RE.test(t) ? Number(t) : t; }

  function rewardToData(reward) {
    let out = null;
    if (reward.kind === "fixed") out = { fixed: money(reward.fixed) };
    else if (reward.kind === "formula") out = { formula: new YQuoted(reward.formula) };
    else if (reward.kind === "tiers") {
      out = {
        tiers: reward.tiers.map(function (tier) {
          const t = { when: conditionToData(tier.when) };
          if (tier.kind === "formula") t.formula = new YQuoted(tier.formula); else t.fixed = money(tier.fixed);
          return t;
        }),
      };
    }
    if (out && reward.hasCap) out.cap = money(reward.cap);
    return out;
  }

  function examplesFromData(data) {
    if (!Array.isArray(data)) return [];
    return data.map(function (example) {
      example = example || {};
      const profile = example.profile && typeof example.profile === "object" ? example.profile : {};
      const expect = example.expect && typeof example.expect === "object" ? example.expect : {};
      return {
        rows: Object.keys(profile).map(function (name) {
          const spec = fieldSpec(name);
          const value = profile[name];
          return {
            field: name,
            value: Array.isArray(value) ? "" : toDisplay(spec, value),
            values: Array.isArray(value) ? value.map(function (v) { return toDisplay(spec, v); }) : [],
          };
        }),
        status: expect.status || "eligible",
        checkAmount: "amount" in expect,
        amount: toDisplay(null, expect.amount),
      };
    });
  }

  function examplesToData(examples) {
    return examples.map(function (example) {
      const profile = {};
      example.rows.forEach(function (row) {
        const spec = fieldSpec(row.field);
        if (!row.field) return;
        if (spec && spec.type === "tags") profile[row.field] = row.values.slice();
        else if (row.value.trim() !== "") profile[row.field] = fromDisplay(spec, row.value.trim());
      });
      const expect = { status: example.status };
      if (example.checkAmount) expect.amount = example.amount.trim() === "" ? null : money(example.amount);
      return { profile: profile, expect: expect };
    });
  }

  function loadRules(data) {
    const eligibility = data.eligibility;
    model.eligibility = eligibility ? conditionFromData(eligibility) : newGroup("all");
    model.reward = rewardFromData(data.reward);
    model.examples = examplesFromData(data.examples);
  }

  function formValue(name) {
    const el = form.elements[name];
    if (!el) return undefined;
    if (el.type === "checkbox") return el.checked;
    return el.value;
  }

  /** The whole item as the server reads it (drafting.py `data`). */
  function itemData() {
    const item = {};
    ITEM_KEYS.forEach(function (key) {
      const value = formValue(key);
      if (value === undefined || value === "" || value === false) return;
      if (key === "budget_amount") item[key] = money(value);
      else if (DATE_KEYS.indexOf(key) >= 0) item[key] = DATE_RE.test(value) ? new YDate(value) : value;
      else item[key] = typeof value === "string" ? value.trim() : value;
    });
    const documentId = formValue("document_id");
    if (documentId) item.document_id = Number(documentId);
    item.eligibility = conditionToData(model.eligibility);
    const reward = rewardToData(model.reward);
    if (reward) item.reward = reward;
    const examples = examplesToData(model.examples);
    if (examples.length) item.examples = examples;
    return item;
  }

  // ------------------------------------------------------------------------------------ YAML
  function needsQuotes(s) {
    if (s === "") return true;
    if (/^\s|\s$/.test(s)) return true;
    if (/^[-?:,\[\]{}#&*!|>'"%@`]/.test(s)) return true;
    if (/[,\[\]{}]|: |\s#|:$/.test(s)) return true;
    if (/[\u0000-\u001f"\\]/.test(s)) return true;
    if (/^(true|false|yes|no|on|off|null|y|n|~)$/i.test(s)) return true;
    if (/^[-+]?[\d_]*\.?[\d_]*([eE][-+]?\d+)?$/.test(s) && /\d/.test(s)) return true;
    if (/^[-+]?0[xob]/i.test(s) || /^[-+]?\d[\d_]*(:[0-5]?\d)+/.test(s)) return true;
    if (/^\d{4}-\d{1,2}-\d{1,2}/.test(s)) return true;
    if (/^[-+]?\.(inf|nan)$/i.test(s)) return true;
    return false;
  }

  function yamlScalar(v) {
    if (v === null || v === undefined) return "null";
    if (v instanceof YDate) return v.text;
    if (v instanceof YQuoted) return JSON.stringify(v.text);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return numberText(v);
    if (Array.isArray(v)) return "[" + v.map(yamlScalar).join(", ") + "]";
    if (typeof v === "object") {
      return "{" + Object.keys(v).map(function (k) { return yamlKey(k) + ": " + yamlScalar(v[k]); }).join(", ") + "}";
    }
    const s = String(v);
    return needsQuotes(s) ? JSON.stringify(s) : s;
  }

  function yamlKey(k) { return needsQuotes(k) ? JSON.stringify(k) : k; }
  function pad(n) { return " ".repeat(n); }
  function isLeafData(d) { return d && typeof d === "object" && !Array.isArray(d) && "field" in d; }
  function isGroupData(d) {
    return d && typeof d === "object" && !Array.isArray(d) && Object.keys(d).length === 1 &&
      ["all", "any", "not"].indexOf(Object.keys(d)[0]) >= 0;
  }

  /** Lines of a condition as the body of a mapping at `indent` (groups in block style, leaves in flow). */
  function conditionBody(d, indent) {
    const key = Object.keys(d)[0];
    if (key === "not") return underKey("not", d.not, indent);
    const items = d[key];
    if (!items.length) return [pad(indent) + key + ": []"];
    const lines = [pad(indent) + key + ":"];
    items.forEach(function (child) { lines.push.apply(lines, listItem(child, indent + 2)); });
    return lines;
  }

  function listItem(d, indent) {
    if (!isGroupData(d)) return [pad(indent) + "- " + yamlScalar(d)];
    const body = conditionBody(d, indent + 2);
    body[0] = pad(indent) + "- " + body[0].trimStart();
    return body;
  }

  function underKey(key, d, indent) {
    if (isGroupData(d)) return [pad(indent) + key + ":"].concat(conditionBody(d, indent + 2));
    return [pad(indent) + key + ": " + yamlScalar(d)];
  }

  function itemYaml(item) {
    const lines = [];
    ITEM_KEYS.forEach(function (key) {
      if (key in item) lines.push(key + ": " + yamlScalar(item[key]));
    });
    lines.push.apply(lines, underKey("eligibility", item.eligibility, 0));
    if (item.reward) {
      lines.push("reward:");
      const reward = item.reward;
      Object.keys(reward).forEach(function (key) {
        if (key !== "tiers") { lines.push(pad(2) + key + ": " + yamlScalar(reward[key])); return; }
        lines.push(pad(2) + "tiers:");
        reward.tiers.forEach(function (tier) {
          const tierLines = underKey("when", tier.when, 6);
          Object.keys(tier).forEach(function (k) { if (k !== "when") tierLines.push(pad(6) + k + ": " + yamlScalar(tier[k])); });
          tierLines[0] = pad(4) + "- " + tierLines[0].trimStart();
          lines.push.apply(lines, tierLines);
        });
      });
    }
    if (item.examples) {
      lines.push("examples:");
      item.examples.forEach(function (example) {
        lines.push(pad(2) + "- profile: " + yamlScalar(example.profile));
        lines.push(pad(4) + "expect: " + yamlScalar(example.expect));
      });
    }
    return lines.join("\n") + "\n";
  }

  // ----------------------------------------------------------------------------- rendering
  let pendingFocus = null;

  function fieldSelect(selected, onchange, extraClass, disabledNames) {
    const select = h("select", { class: "form-select form-select-sm cb-field " + (extraClass || ""), "aria-label": "字段", onchange: onchange });
    select.appendChild(h("option", { value: "" }, "选择字段…"));
    config.groups.forEach(function (group) {
      const optgroup = h("optgroup", { label: group });
      config.fields.forEach(function (f) {
        if (f.group !== group) return;
        optgroup.appendChild(h("option", {
          value: f.name,
          title: f.name + (f.description ? "（" + f.description + "）" : ""),
          disabled: disabledNames && disabledNames.indexOf(f.name) >= 0 && f.name !== selected,
        }, f.label + (f.unit ? "（" + f.unit + "）" : "")));
      });
      select.appendChild(optgroup);
    });
    if (selected && !FIELDS[selected]) select.appendChild(h("option", { value: selected }, "未知字段：" + selected));
    select.value = selected || "";
    return select;
  }

  function numberInput(spec, value, oninput, cls, label) {
    const hint = h("div", { class: "cb-hint" }, spec.unit === "元" ? yuanHint(value) : "");
    const input = h("input", {
      type: "text", inputmode: "decimal", class: "form-control form-control-sm " + cls, value: value, "aria-label": label,
      placeholder: spec.is_percent ? "如 3 表示 3%" : spec.type === "integer" ? "整数" : "数值",
      oninput: function (e) { if (spec.unit === "元") hint.textContent = yuanHint(e.target.value.trim()); oninput(e.target.value); },
    });
    const group = h("div", { class: "input-group input-group-sm" }, input, spec.unit ? h("span", { class: "input-group-text" }, spec.unit) : null);
    return h("div", {}, group, hint);
  }

  /** One value input for a field (not a list): number, date, 是/否, enum choice or text. */
  function scalarInput(spec, value, oninput, cls, label) {
    cls = cls || "cb-value";
    if (spec.is_numeric) return numberInput(spec, value, oninput, cls, label);
    if (spec.type === "date") {
      return h("input", { type: "date", class: "form-control form-control-sm " + cls, value: value, "aria-label": label,
        style: "max-width: 11rem", oninput: function (e) { oninput(e.target.value); } });
    }
    if (spec.type === "bool" || spec.type === "enum") {
      const choices = spec.type === "bool" ? [["true", "是"], ["false", "否"]] : spec.enum_values;
      const select = h("select", { class: "form-select form-select-sm " + cls, "aria-label": label, style: "max-width: 12rem",
        onchange: function (e) { oninput(e.target.value); } },
        h("option", { value: "" }, "请选择…"),
        choices.map(function (pair) { return h("option", { value: pair[0] }, pair[1]); }));
      select.value = value;
      return select;
    }
    const attrs = { type: "text", class: "form-control form-control-sm " + cls, value: value, "aria-label": label,
      style: "max-width: 22rem", oninput: function (e) { oninput(e.target.value); } };
    if (spec.type === "tags") { attrs.list = "cb-tag-list"; attrs.placeholder = "标签，如 高新技术企业"; }
    if (spec.name === "region_code") attrs.placeholder = "6 位区划代码";
    if (spec.name === "industry_code") attrs.placeholder = "如 C3911";
    return h("input", attrs);
  }

  /** Free values as chips: Enter, "，" "," or "、" adds; × removes. */
  function chipsInput(spec, values, focusKey, onchange, placeholder) {
    const box = h("div", { class: "cb-chips cb-values" });
    values.forEach(function (v, i) {
      box.appendChild(h("span", { class: "cb-chip" }, spec.enum_values && spec.enum_values.length ? labelOf(spec, v) : v,
        h("button", { type: "button", title: "移除", "aria-label": "移除 " + v,
          onclick: function () { values.splice(i, 1); pendingFocus = focusKey; onchange(true); } }, "×")));
    });
    const input = h("input", { type: "text", class: "cb-chip-input", placeholder: placeholder, "aria-label": placeholder,
      list: spec.type === "tags" ? "cb-tag-list" : null, dataset: { focusKey: focusKey } });
    function add() {
      const parts = input.value.split(/[,，、\n]/).map(function (p) { return p.trim(); }).filter(Boolean);
      if (!parts.length) return false;
      parts.forEach(function (p) { if (values.indexOf(p) < 0) values.push(p); });
      input.value = "";
      return true;
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === "," || e.key === "，" || e.key === "、") {
        e.preventDefault();
        if (add()) { pendingFocus = focusKey; onchange(true); }
      } else if (e.key === "Backspace" && !input.value && values.length) {
        values.pop(); pendingFocus = focusKey; onchange(true);
      }
    });
    input.addEventListener("change", function () { if (add()) onchange(true); });
    box.appendChild(input);
    box.addEventListener("click", function (e) { if (e.target === box) input.focus(); });
    return box;
  }

  function labelOf(spec, value) {
    const pair = (spec.enum_values || []).find(function (p) { return p[0] === value; });
    return pair ? pair[1] : value;
  }

  function enumChecks(spec, values, onchange) {
    return h("div", { class: "cb-checks cb-values" }, spec.enum_values.map(function (pair) {
      return h("label", { class: "form-check-label" },
        h("input", { type: "checkbox", class: "form-check-input me-1", value: pair[0], checked: values.indexOf(pair[0]) >= 0,
          onchange: function (e) {
            const at = values.indexOf(pair[0]);
            if (e.target.checked && at < 0) values.push(pair[0]);
            if (!e.target.checked && at >= 0) values.splice(at, 1);
            onchange(false);
          } }), pair[1]);
    }));
  }

  function errSlot() { return h("div", { class: "cb-errs" }); }

  function renderLeaf(node, path, actions) {
    const spec = fieldSpec(node.field);
    const el = h("div", { class: "cb-leaf", dataset: { path: path } });
    const row = h("div", { class: "cb-leaf-row" });
    const clientErrs = h("div", { class: "cb-errs cb-client-errs" });
    row.appendChild(fieldSelect(node.field, function (e) {
      const before = fieldSpec(node.field);
      node.field = e.target.value;
      const after = fieldSpec(node.field);
      if (!after) node.op = "";
      else if (!before || before.type !== after.type || after.operators.indexOf(node.op) < 0) {
        node.op = DEFAULT_OP[after.type] && after.operators.indexOf(DEFAULT_OP[after.type]) >= 0 ? DEFAULT_OP[after.type] : after.operators[0];
        node.value = ""; node.low = ""; node.high = ""; node.values = [];
      }
      pendingFocus = path + ":value";
      changed(true);
    }));
    if (spec) {
      const opSelect = h("select", { class: "form-select form-select-sm cb-op", "aria-label": "运算符",
        onchange: function (e) {
          const wasList = LIST_OPS.indexOf(node.op) >= 0;
          node.op = e.target.value;
          const isList = LIST_OPS.indexOf(node.op) >= 0;
          if (isList && !wasList && node.value.trim()) node.values = [node.value.trim()];
          if (!isList && wasList && node.values.length) node.value = node.values[0];
          if (node.op === "between" && !node.low) node.low = node.value;
          pendingFocus = path + ":value";
          changed(true);
        } },
        spec.operators.map(function (op) { return h("option", { value: op }, OPS[op] || op); }));
      if (spec.operators.indexOf(node.op) < 0) opSelect.insertBefore(h("option", { value: node.op }, node.op ? "未知运算符：" + node.op : "选择运算符…"), opSelect.firstChild);
      opSelect.value = node.op;
      row.appendChild(opSelect);
      const area = h("div", { class: "cb-value-area", dataset: { focusKey: path + ":value" } });
      if (NO_VALUE_OPS.indexOf(node.op) >= 0) {
        area.appendChild(h("span", { class: "small text-secondary d-inline-block pt-1" }, "（无需填写值）"));
      } else if (node.op === "between") {
        area.appendChild(h("div", { class: "cb-between" },
          scalarInput(spec, node.low, function (t) { node.low = t; changed(false, el); }, "cb-low", "下限"),
          h("span", { class: "small" }, "至"),
          scalarInput(spec, node.high, function (t) { node.high = t; changed(false, el); }, "cb-high", "上限")));
      } else if (LIST_OPS.indexOf(node.op) >= 0) {
        if (spec.type === "enum") area.appendChild(enumChecks(spec, node.values, function () { changed(false, el); }));
        else area.appendChild(chipsInput(spec, node.values, path + ":chips", function (structural) { node.touched = true; changed(structural, el); },
          node.op === "starts_with" ? "前缀，如 3701，回车添加" : "输入后回车添加"));
      } else {
        area.appendChild(scalarInput(spec, node.value, function (t) { node.value = t; changed(false, el); }, "cb-value", spec.label));
      }
      row.appendChild(area);
    }
    const buttons = h("div", { class: "ms-auto d-flex gap-1" });
    if (actions.wrap) buttons.appendChild(iconButton("collection", "转为条件组（可再添加条件）", actions.wrap));
    if (actions.remove) buttons.appendChild(iconButton("x-lg", "删除此条件", actions.remove, "btn-outline-danger cb-remove"));
    row.appendChild(buttons);
    el.appendChild(row);
    el.appendChild(clientErrs);
    el.appendChild(errSlot());
    el._leaf = node;
    showLeafProblems(el);
    return el;
  }

  function showLeafProblems(el) {
    const node = el._leaf;
    if (!node) return;
    const problems = leafProblems(node);
    const slot = el.querySelector(":scope > .cb-client-errs");
    slot.textContent = "";
    // A condition being filled in is told what it still needs quietly; once typed in, faults are red.
    const loud = !!node.touched;
    const parts = { field: ".cb-field", op: ".cb-op", value: ".cb-value", low: ".cb-low", high: ".cb-high", values: ".cb-values" };
    Object.keys(parts).forEach(function (part) {
      el.querySelectorAll(":scope > .cb-leaf-row " + parts[part]).forEach(function (input) {
        input.classList.toggle("is-invalid", loud && !!problems[part]);
      });
    });
    const messages = Object.keys(problems).map(function (k) { return problems[k]; });
    slot.classList.toggle("text-secondary", !loud);
    messages.forEach(function (m) { slot.appendChild(h("div", {}, m)); });
    el.classList.toggle("cb-invalid", loud && messages.length > 0);
  }

  function renderGroup(node, path, actions) {
    const el = h("div", { class: "cb-group cb-group-" + node.op, dataset: { path: path } });
    const head = h("div", { class: "cb-group-head" });
    const opSelect = h("select", { class: "form-select form-select-sm cb-group-op", "aria-label": "条件组类型",
      onchange: function (e) { node.op = e.target.value; changed(true); } },
      h("option", { value: "all" }, "全部满足（并且）"), h("option", { value: "any" }, "任一满足（或者）"));
    opSelect.value = node.op;
    head.appendChild(opSelect);
    head.appendChild(h("span", { class: "small text-secondary" }, "以下条件"));
    const addLeaf = function () { node.children.push(newLeaf()); pendingFocus = path + "." + node.op + "[" + (node.children.length - 1) + "]:field"; changed(true); };
    head.appendChild(h("div", { class: "ms-auto d-flex flex-wrap gap-1" },
      textButton("plus-lg", "添加条件", addLeaf, "btn-outline-primary cb-add-leaf"),
      textButton("collection", "添加条件组", function () {
        const group = newGroup(node.op === "all" ? "any" : "all");
        group.children.push(newLeaf());
        node.children.push(group);
        changed(true);
      }, "btn-outline-secondary cb-add-group"),
      textButton("slash-circle", "添加排除条件", function () { node.children.push({ kind: "not", child: newLeaf() }); changed(true); }, "btn-outline-secondary cb-add-not"),
      actions.remove ? iconButton("trash", "删除此条件组", actions.remove, "btn-outline-danger cb-remove") : null));
    el.appendChild(head);
    const children = h("div", { class: "cb-children" });
    node.children.forEach(function (child, i) {
      const childPath = path + "." + node.op + "[" + i + "]";
      children.appendChild(renderCondition(child, childPath, {
        remove: function () { node.children.splice(i, 1); changed(true); },
        replace: function (n) { node.children[i] = n; changed(true); },
        inGroup: true,
      }));
    });
    if (!node.children.length) children.appendChild(h("div", { class: "cb-empty" }, "还没有条件。点击“添加条件”，选择字段、运算符并填写值。"));
    el.appendChild(children);
    el.appendChild(errSlot());
    return el;
  }

  function renderNot(node, path, actions) {
    const el = h("div", { class: "cb-not", dataset: { path: path } });
    el.appendChild(h("div", { class: "cb-group-head" },
      h("span", { class: "badge text-bg-danger" }, "排除"),
      h("span", { class: "small text-secondary" }, "不满足以下条件"),
      h("div", { class: "ms-auto" }, actions.remove ? iconButton("trash", "删除此排除条件", actions.remove, "btn-outline-danger cb-remove") : null)));
    el.appendChild(h("div", { class: "cb-children" }, renderCondition(node.child, path + ".not", {
      remove: actions.remove,
      replace: function (n) { node.child = n; changed(true); },
    })));
    el.appendChild(errSlot());
    return el;
  }

  function renderRaw(node, path, actions) {
    return h("div", { class: "cb-leaf", dataset: { path: path } },
      h("div", { class: "small text-danger mb-1" }, "此处的内容不是有效的条件，编辑器无法显示：请删除后重新添加，或在 YAML 中修改。"),
      h("div", { class: "cb-raw" }, JSON.stringify(node.data)),
      actions.remove ? iconButton("x-lg", "删除", actions.remove, "btn-outline-danger cb-remove mt-1") : null,
      errSlot());
  }

  function renderCondition(node, path, actions) {
    // A leaf that stands alone (the root, or under 排除) may become a group to take more conditions.
    if (node.kind === "leaf" && !actions.inGroup && actions.replace) {
      actions = Object.assign({}, actions, { wrap: function () { const g = newGroup("all"); g.children.push(node); actions.replace(g); } });
    }
    if (node.kind === "group") return renderGroup(node, path, actions);
    if (node.kind === "not") return renderNot(node, path, actions);
    if (node.kind === "raw") return renderRaw(node, path, actions);
    return renderLeaf(node, path, actions);
  }

  // ------------------------------------------------------------------------------- reward
  function formulaInput(value, oninput, path) {
    const input = h("input", { type: "text", class: "form-control form-control-sm cb-formula", value: value, "aria-label": "公式",
      placeholder: "如 round(revenue * 0.01) 或 min(rd_expense * 0.1, 500000)", oninput: function (e) { oninput(e.target.value); } });
    const numeric = config.fields.filter(function (f) { return f.is_numeric; });
    const insert = h("select", { class: "form-select form-select-sm", style: "max-width: 12rem", "aria-label": "插入字段",
      onchange: function (e) {
        if (!e.target.value) return;
        const at = input.selectionStart === null ? input.value.length : input.selectionStart;
        input.value = input.value.slice(0, at) + e.target.value + input.value.slice(input.selectionEnd || at);
        e.target.value = "";
        oninput(input.value);
        input.focus();
      } }, h("option", { value: "" }, "插入字段…"), numeric.map(function (f) { return h("option", { value: f.name }, f.label + "（" + f.name + "）"); }));
    return h("div", { dataset: { path: path } },
      h("div", { class: "d-flex gap-2" }, input, insert),
      h("div", { class: "cb-hint" }, "可用：数值字段、数字、+ − * / 和括号、min(a, b)、max(a, b)、round(x)（四舍五入到元）、round(x, n)。结果为元，先封顶再四舍五入到分。"),
      errSlot());
  }

  function moneyInput(value, oninput, cls, label) {
    const hint = h("div", { class: "cb-hint" }, yuanHint(value));
    return h("div", {},
      h("div", { class: "input-group input-group-sm", style: "max-width: 20rem" },
        h("input", { type: "text", inputmode: "decimal", class: "form-control " + cls, value: value, "aria-label": label,
          oninput: function (e) { hint.textContent = yuanHint(e.target.value.trim()); oninput(e.target.value); } }),
        h("span", { class: "input-group-text" }, "元")),
      hint);
  }

  function renderReward() {
    const reward = model.reward;
    const root = h("div", { dataset: { path: "reward" } });
    const kinds = [["none", "无奖励金额"], ["fixed", "固定金额"], ["formula", "按公式计算"], ["tiers", "分档（取第一个满足的档位）"]];
    root.appendChild(h("div", { class: "btn-group btn-group-sm mb-2 flex-wrap", role: "group", "aria-label": "奖励方式" },
      kinds.map(function (pair) {
        const id = "reward-kind-" + pair[0];
        return [
          h("input", { type: "radio", class: "btn-check", name: "reward-kind", id: id, value: pair[0], checked: reward.kind === pair[0],
            onchange: function () {
              reward.kind = pair[0];
              if (pair[0] === "tiers" && !reward.tiers.length) reward.tiers.push({ when: newLeaf(), kind: "fixed", fixed: "", formula: "" });
              changed(true);
            } }),
          h("label", { class: "btn btn-outline-primary", for: id }, pair[1]),
        ];
      })));
    if (reward.kind === "fixed") {
      root.appendChild(h("div", { dataset: { path: "reward.fixed" } },
        moneyInput(reward.fixed, function (t) { reward.fixed = t; changed(false); }, "cb-reward-fixed", "固定金额"), errSlot()));
    } else if (reward.kind === "formula") {
      root.appendChild(formulaInput(reward.formula, function (t) { reward.formula = t; changed(false); }, "reward.formula"));
    } else if (reward.kind === "tiers") {
      const list = h("div", { dataset: { path: "reward.tiers" } });
      reward.tiers.forEach(function (tier, i) {
        const tierPath = "reward.tiers[" + i + "]";
        const box = h("div", { class: "cb-tier", dataset: { path: tierPath } });
        box.appendChild(h("div", { class: "cb-tier-head" },
          h("span", { class: "badge text-bg-primary" }, "第 " + (i + 1) + " 档"),
          h("div", { class: "ms-auto d-flex gap-1" },
            i > 0 ? iconButton("arrow-up", "上移", function () { reward.tiers.splice(i - 1, 0, reward.tiers.splice(i, 1)[0]); changed(true); }) : null,
            iconButton("trash", "删除此档", function () { reward.tiers.splice(i, 1); changed(true); }, "btn-outline-danger"))));
        box.appendChild(h("div", { class: "small text-secondary mb-1" }, "当"));
        box.appendChild(renderCondition(tier.when, tierPath + ".when", { replace: function (n) { tier.when = n; changed(true); } }));
        const amountKind = h("select", { class: "form-select form-select-sm", style: "width: auto", "aria-label": "档位金额方式",
          onchange: function (e) { tier.kind = e.target.value; changed(true); } },
          h("option", { value: "fixed" }, "固定金额"), h("option", { value: "formula" }, "按公式"));
        amountKind.value = tier.kind;
        box.appendChild(h("div", { class: "d-flex flex-wrap align-items-start gap-2 mt-1" },
          h("span", { class: "small text-secondary pt-1" }, "奖励"), amountKind,
          h("div", { class: "flex-grow-1" }, tier.kind === "fixed"
            ? h("div", { dataset: { path: tierPath + ".fixed" } }, moneyInput(tier.fixed, function (t) { tier.fixed = t; changed(false); }, "cb-tier-fixed", "档位金额"), errSlot())
            : formulaInput(tier.formula, function (t) { tier.formula = t; changed(false); }, tierPath + ".formula"))));
        box.appendChild(errSlot());
        list.appendChild(box);
      });
      list.appendChild(textButton("plus-lg", "添加档位", function () { reward.tiers.push({ when: newLeaf(), kind: "fixed", fixed: "", formula: "" }); changed(true); }, "btn-outline-primary"));
      list.appendChild(errSlot());
      root.appendChild(list);
    }
    if (reward.kind !== "none") {
      root.appendChild(h("div", { class: "d-flex flex-wrap align-items-start gap-2 mt-2", dataset: { path: "reward.cap" } },
        h("div", { class: "form-check pt-1" },
          h("input", { type: "checkbox", class: "form-check-input", id: "reward-has-cap", checked: reward.hasCap,
            onchange: function (e) { reward.hasCap = e.target.checked; changed(true); } }),
          h("label", { class: "form-check-label small", for: "reward-has-cap" }, "封顶")),
        reward.hasCap ? moneyInput(reward.cap, function (t) { reward.cap = t; changed(false); }, "cb-cap", "封顶金额") : null,
        errSlot()));
    }
    root.appendChild(errSlot());
    return root;
  }

  // ------------------------------------------------------------------------------ examples
  function usedFields(condition, out) {
    if (!condition) return out;
    if (condition.kind === "leaf" && condition.field && out.indexOf(condition.field) < 0) out.push(condition.field);
    if (condition.kind === "group") condition.children.forEach(function (c) { usedFields(c, out); });
    if (condition.kind === "not") usedFields(condition.child, out);
    return out;
  }

  function renderExamples() {
    const root = h("div", { dataset: { path: "examples" } });
    model.examples.forEach(function (example, i) {
      const path = "examples[" + i + "]";
      const result = exampleResults[i];
      const box = h("div", { class: "cb-example", dataset: { path: path } });
      box.appendChild(h("div", { class: "cb-example-head" },
        h("strong", { class: "small text-nowrap" }, "示例 " + (i + 1)),
        h("div", { class: "ms-auto d-flex flex-wrap gap-1" },
          textButton("magic", "填入条件中的字段", function () {
            const names = usedFields(model.eligibility, []);
            if (model.reward.kind === "tiers") model.reward.tiers.forEach(function (t) { usedFields(t.when, names); });
            names.forEach(function (name) {
              if (!example.rows.some(function (r) { return r.field === name; })) example.rows.push({ field: name, value: "", values: [] });
            });
            changed(true);
          }),
          iconButton("trash", "删除此示例", function () { model.examples.splice(i, 1); changed(true); }, "btn-outline-danger"))));
      box.appendChild(h("div", { class: "cb-example-result small mb-2", dataset: { index: String(i) } }, exampleBadge(result)));
      const taken = example.rows.map(function (r) { return r.field; });
      example.rows.forEach(function (row, j) {
        const spec = fieldSpec(row.field);
        const rowPath = path + ".profile." + row.field;
        const line = h("div", { class: "cb-profile-row", dataset: { path: row.field ? rowPath : path + ".profile" } },
          fieldSelect(row.field, function (e) {
            const before = fieldSpec(row.field);
            row.field = e.target.value;
            const after = fieldSpec(row.field);
            if (!before || !after || before.type !== after.type) { row.value = ""; row.values = []; }
            pendingFocus = path + ":row" + j;
            changed(true);
          }, "", taken));
        const area = h("div", { class: "cb-value-area", dataset: { focusKey: path + ":row" + j } });
        if (spec && spec.type === "tags") {
          area.appendChild(chipsInput(spec, row.values, path + ":chips" + j, function (s) { changed(s); }, "标签，回车添加；不填表示没有标签"));
        } else if (spec) {
          area.appendChild(scalarInput(spec, row.value, function (t) { row.value = t; changed(false); }, "cb-value", spec.label));
        }
        line.appendChild(area);
        line.appendChild(iconButton("x-lg", "删除此项", function () { example.rows.splice(j, 1); changed(true); }, "btn-outline-secondary ms-auto"));
        line.appendChild(errSlot());
        box.appendChild(line);
      });
      box.appendChild(textButton("plus-lg", "添加企业情况", function () { example.rows.push({ field: "", value: "", values: [] }); changed(true); }, "btn-outline-secondary mb-2"));
      const status = h("select", { class: "form-select form-select-sm cb-expect-status", style: "width: auto", "aria-label": "期望结果",
        onchange: function (e) { example.status = e.target.value; changed(false); } },
        Object.keys(STATUSES).map(function (s) { return h("option", { value: s }, STATUSES[s]); }));
      status.value = example.status;
      box.appendChild(h("div", { class: "d-flex flex-wrap align-items-start gap-2" },
        h("span", { class: "small text-secondary pt-1" }, "期望结果"),
        h("div", { dataset: { path: path + ".expect.status" } }, status, errSlot()),
        h("div", { class: "form-check pt-1 ms-2" },
          h("input", { type: "checkbox", class: "form-check-input", id: "check-amount-" + i, checked: example.checkAmount,
            onchange: function (e) { example.checkAmount = e.target.checked; changed(true); } }),
          h("label", { class: "form-check-label small", for: "check-amount-" + i }, "核对金额")),
        example.checkAmount ? h("div", { dataset: { path: path + ".expect.amount" } },
          moneyInput(example.amount, function (t) { example.amount = t; changed(false); }, "cb-expect-amount", "期望金额"),
          h("div", { class: "cb-hint" }, "留空表示“无金额”"), errSlot()) : null));
      box.appendChild(errSlot());
      root.appendChild(box);
    });
    if (!model.examples.length) root.appendChild(h("div", { class: "cb-empty" }, "还没有示例。示例在提交审核和发布前运行，建议至少写一个符合、一个不符合的企业。"));
    root.appendChild(textButton("plus-lg", "添加示例", function () {
      model.examples.push({ rows: [], status: "eligible", checkAmount: false, amount: "" });
      changed(true);
    }, "btn-outline-primary cb-add-example"));
    root.appendChild(errSlot());
    return root;
  }

  function exampleBadge(result) {
    if (!result) return "";
    if (result.is_passing) {
      return h("span", { class: "text-success" }, h("i", { "aria-hidden": "true", class: "bi bi-check-circle-fill me-1" }),
        "通过：" + (STATUSES[result.status] || result.status) + (result.amount !== null ? "，" + result.amount + " 元" : ""));
    }
    return h("span", { class: "text-danger" }, h("i", { "aria-hidden": "true", class: "bi bi-x-circle-fill me-1" }), result.message || "不通过");
  }

  // ------------------------------------------------------------------------- errors by path
  /** The element a fault at `path` belongs to: the node with that path, else its nearest ancestor. */
  function targetFor(path) {
    let p = path;
    while (p) {
      const el = form.querySelector('[data-path="' + p.replace(/"/g, '\\"') + '"]');
      if (el) return { el: el, rest: path.slice(p.length) };
      const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
      if (cut <= 0) break;
      p = p.slice(0, cut);
    }
    return null;
  }

  function applyServerErrors() {
    form.querySelectorAll(".cb-server-err").forEach(function (e) { e.remove(); });
    form.querySelectorAll(".cb-server-invalid").forEach(function (e) { e.classList.remove("is-invalid", "cb-server-invalid"); });
    Object.keys(serverErrors).forEach(function (path) {
      if (!RULE_ROOTS.some(function (root) { return path === root || path.indexOf(root + ".") === 0 || path.indexOf(root + "[") === 0; })) return;
      const target = targetFor(path);
      if (!target) return;
      const slot = target.el.querySelector(":scope > .cb-errs:not(.cb-client-errs)") || target.el.querySelector(".cb-errs");
      if (!slot) return;
      serverErrors[path].forEach(function (message) {
        slot.appendChild(h("div", { class: "cb-server-err", title: path },
          target.rest ? h("span", { class: "cb-err-path" }, path) : null, message));
      });
      const part = /^\.(value|field|op)/.exec(target.rest);
      if (part) {
        const classes = part[1] === "value" ? [".cb-value", ".cb-low", ".cb-high", ".cb-values"] : [".cb-" + part[1]];
        const selector = classes.map(function (c) { return ":scope > .cb-leaf-row " + c; }).join(", ");
        target.el.querySelectorAll(selector).forEach(function (input) {
          input.classList.add("is-invalid", "cb-server-invalid");
        });
      }
    });
  }

  function updateSummary(errors, checking) {
    const summary = document.getElementById("check-summary");
    if (!summary) return;
    if (checking) { summary.innerHTML = '<span class="text-secondary"><span class="spinner-border spinner-border-sm me-1"></span>校验中…</span>'; return; }
    const ruleCount = Object.keys(errors).filter(function (p) { return RULE_ROOTS.some(function (r) { return p.indexOf(r) === 0; }); })
      .reduce(function (n, p) { return n + errors[p].length; }, 0);
    const results = Object.keys(exampleResults).map(function (k) { return exampleResults[k]; });
    const failing = results.filter(function (r) { return !r.is_passing; }).length;
    summary.textContent = "";
    if (ruleCount) summary.appendChild(h("span", { class: "text-danger" }, h("i", { "aria-hidden": "true", class: "bi bi-exclamation-triangle-fill me-1" }), "条件与奖励有 " + ruleCount + " 处待修正"));
    else summary.appendChild(h("span", { class: "text-success" }, h("i", { "aria-hidden": "true", class: "bi bi-check-circle-fill me-1" }), "条件与奖励有效"));
    if (results.length) {
      summary.appendChild(h("span", { class: failing ? "text-danger ms-2" : "text-success ms-2" },
        failing ? "示例 " + failing + "/" + results.length + " 不通过" : "示例全部通过（" + results.length + "）"));
    }
  }

  // -------------------------------------------------------------------------- change flow
  const eligibilityRoot = document.getElementById("eligibility-builder");
  const rewardRoot = document.getElementById("reward-editor");
  const examplesRoot = document.getElementById("examples-editor");
  const yamlText = document.getElementById("yaml-text");
  const yamlState = document.getElementById("yaml-state");
  const yamlErrors = document.getElementById("yaml-errors");
  let yamlDirty = false;
  let checkTimer = null;
  let checkSeq = 0;

  function render() {
    eligibilityRoot.textContent = "";
    eligibilityRoot.appendChild(renderCondition(model.eligibility, "eligibility", {
      replace: function (n) { model.eligibility = n; changed(true); },
    }));
    rewardRoot.textContent = "";
    rewardRoot.appendChild(renderReward());
    examplesRoot.textContent = "";
    examplesRoot.appendChild(renderExamples());
    applyServerErrors();
    if (pendingFocus) {
      const key = pendingFocus;
      pendingFocus = null;
      let target = form.querySelector('[data-focus-key="' + key + '"]');
      if (!target && /:field$/.test(key)) target = form.querySelector('[data-path="' + key.replace(/:field$/, "") + '"] .cb-field');
      if (target && !/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) target = target.querySelector("input, select");
      if (target) target.focus();
    }
  }

  function writeHidden(item) {
    form.elements.eligibility.value = JSON.stringify(item.eligibility);
    form.elements.reward.value = item.reward ? JSON.stringify(item.reward) : "";
    form.elements.examples.value = JSON.stringify(item.examples || []);
  }

  function refreshYaml(item) {
    if (yamlDirty) return;
    yamlText.value = itemYaml(item);
  }

  /** After any change: structural ones re-render the builder; typing only re-checks its own node. */
  function changed(structural, leafEl) {
    if (structural) {
      serverErrors = {};
      render();
    } else if (leafEl) {
      if (leafEl._leaf) leafEl._leaf.touched = true;
      showLeafProblems(leafEl);
    }
    const item = itemData();
    writeHidden(item);
    refreshYaml(item);
    scheduleCheck();
  }

  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(runCheck, 500);
  }

  function runCheck() {
    const seq = ++checkSeq;
    updateSummary({}, true);
    postJSON(form.dataset.checkUrl, { item: JSON.parse(JSON.stringify(itemData())) }).then(function (res) {
      if (seq !== checkSeq) return;
      if (!res.ok) { updateSummary({}, false); return; }
      serverErrors = res.data.errors || {};
      exampleResults = {};
      (res.data.examples || []).forEach(function (r) { exampleResults[r.index] = r; });
      applyServerErrors();
      form.querySelectorAll(".cb-example-result").forEach(function (span) {
        span.textContent = "";
        const badge = exampleBadge(exampleResults[Number(span.dataset.index)]);
        if (badge) span.appendChild(badge);
      });
      updateSummary(serverErrors, false);
    }).catch(function () { if (seq === checkSeq) document.getElementById("check-summary").textContent = "无法连接服务器校验"; });
  }

  // ---------------------------------------------------------------------------- YAML panel
  function setDirty(dirty) {
    yamlDirty = dirty;
    yamlText.classList.toggle("yaml-dirty", dirty);
    document.getElementById("yaml-apply").disabled = !dirty;
    document.getElementById("yaml-revert").disabled = !dirty;
    yamlState.textContent = dirty ? "YAML 已修改：点“应用到编辑器”后生效" : "随编辑器实时更新";
    yamlState.className = "small fw-normal ms-2 " + (dirty ? "text-warning-emphasis" : "text-secondary");
  }

  yamlText.addEventListener("input", function () { if (!yamlDirty) setDirty(true); });

  document.getElementById("yaml-revert").addEventListener("click", function () {
    setDirty(false);
    yamlErrors.textContent = "";
    refreshYaml(itemData());
  });

  document.getElementById("yaml-copy").addEventListener("click", function () {
    if (navigator.clipboard) navigator.clipboard.writeText(yamlText.value);
  });

  function setFormValue(name, value) {
    const el = form.elements[name];
    if (!el) return;
    if (el.type === "checkbox") el.checked = value === true;
    else if (!el.readOnly) el.value = value === undefined || value === null ? "" : String(value);
  }

  document.getElementById("yaml-apply").addEventListener("click", function () {
    yamlErrors.textContent = "";
    postJSON(form.dataset.parseUrl, { yaml: yamlText.value }).then(function (res) {
      if (res.data.syntax) {
        res.data.syntax.forEach(function (line) { yamlErrors.appendChild(h("div", {}, line)); });
        return;
      }
      if (!res.ok) { yamlErrors.appendChild(h("div", {}, res.data.message || "无法读取 YAML")); return; }
      const item = res.data.item;
      const code = form.elements.code;
      if (code && code.readOnly && item.code && item.code !== code.value) {
        yamlErrors.appendChild(h("div", {}, "编码不能修改（" + code.value + "），已忽略 YAML 中的 " + item.code));
      }
      clearDocument();
      ITEM_KEYS.forEach(function (key) { setFormValue(key, item[key]); });
      loadRules(item);
      serverErrors = res.data.errors || {};
      exampleResults = {};
      (res.data.examples || []).forEach(function (r) { exampleResults[r.index] = r; });
      setDirty(false);
      render();
      const current = itemData();
      writeHidden(current);
      refreshYaml(current);
      Object.keys(serverErrors).forEach(function (path) {
        if (RULE_ROOTS.some(function (r) { return path.indexOf(r) === 0; })) return;
        serverErrors[path].forEach(function (m) { yamlErrors.appendChild(h("div", {}, (path ? path + "：" : "") + m)); });
      });
      updateSummary(serverErrors, false);
    });
  });

  // ------------------------------------------------------------------------ policy document
  const DOCUMENT_FIELDS = ["policy", "document_number", "level", "region_code", "department"];
  const suggestions = document.getElementById("document-suggestions");
  const chosenNote = document.getElementById("document-chosen");
  const clearButton = document.getElementById("document-clear");
  let documentTimer = null;

  function lockDocument(locked) {
    DOCUMENT_FIELDS.forEach(function (name) {
      const el = form.elements[name];
      if (!el) return;
      if (el.tagName === "SELECT") el.classList.toggle("pe-none", locked);
      else el.readOnly = locked;
      el.classList.toggle("bg-body-secondary", locked);
      el.setAttribute("aria-readonly", locked ? "true" : "false");
    });
    clearButton.classList.toggle("d-none", !locked);
  }

  function chooseDocument(doc) {
    form.elements.document_id.value = doc.id;
    form.elements.policy.value = doc.title;
    form.elements.document_number.value = doc.document_number;
    form.elements.level.value = doc.level;
    form.elements.region_code.value = doc.region_code;
    form.elements.department.value = doc.department;
    chosenNote.textContent = "已选已有政策文件 #" + doc.id + "（" + doc.level_label + " · " + doc.department + "）";
    lockDocument(true);
    suggestions.classList.add("d-none");
    changed(false);
  }

  function clearDocument() {
    form.elements.document_id.value = "";
    chosenNote.textContent = "将新建政策文件（或沿用名称、文号、层级、区划、部门完全相同的已有文件）。";
    lockDocument(false);
  }

  clearButton.addEventListener("click", function () { clearDocument(); changed(false); });

  form.elements.policy.addEventListener("input", function () {
    if (form.elements.document_id.value) return;
    clearTimeout(documentTimer);
    const q = form.elements.policy.value.trim();
    documentTimer = setTimeout(function () {
      if (!q) { suggestions.classList.add("d-none"); return; }
      fetch(form.dataset.documentsUrl + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          suggestions.textContent = "";
          (data.documents || []).slice(0, 8).forEach(function (doc) {
            suggestions.appendChild(h("button", { type: "button", class: "list-group-item list-group-item-action small py-1",
              onclick: function () { chooseDocument(doc); } },
              h("div", {}, doc.title), h("div", { class: "text-secondary" }, [doc.document_number, doc.level_label, doc.region_code, doc.department].filter(Boolean).join(" · "))));
          });
          suggestions.classList.toggle("d-none", !(data.documents || []).length);
        });
    }, 250);
  });
  form.elements.policy.addEventListener("blur", function () { setTimeout(function () { suggestions.classList.add("d-none"); }, 200); });

  // ------------------------------------------------------------------------------- form
  form.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type !== "submit") e.preventDefault();
  });

  form.addEventListener("input", function (e) {
    if (ITEM_KEYS.indexOf(e.target.name) >= 0 || e.target.name === "auto_entitlement") {
      const item = itemData();
      refreshYaml(item);
    }
  });
  form.addEventListener("change", function (e) {
    if (ITEM_KEYS.indexOf(e.target.name) >= 0) refreshYaml(itemData());
  });

  form.addEventListener("submit", function (e) {
    if (yamlDirty && !window.confirm("YAML 的修改还没有应用到编辑器，将按编辑器中的内容保存。继续吗？")) {
      e.preventDefault();
      return;
    }
    writeHidden(itemData());
  });

  const budget = document.getElementById("id_budget_amount");
  const budgetHint = document.querySelector('[data-yuan-hint="id_budget_amount"]');
  if (budget && budgetHint) {
    const show = function () { budgetHint.textContent = yuanHint(budget.value.trim()); };
    budget.addEventListener("input", show);
    show();
  }

  // Inputs the server refused on the last save.
  form.querySelectorAll(".field-error").forEach(function (err) {
    const el = form.elements[err.dataset.for];
    if (el && el.classList) el.classList.add("is-invalid");
  });

  // Tag suggestions for 企业标签.
  document.body.appendChild(h("datalist", { id: "cb-tag-list" }, (config.tags || []).map(function (t) { return h("option", { value: t }); })));

  // --------------------------------------------------------------------------------- start
  loadRules(initial);
  if (form.elements.document_id.value) lockDocument(true);
  render();
  const start = itemData();
  writeHidden(start);
  refreshYaml(start);
  runCheck();

  // For tests and the curious: the builder's model and YAML.
  window.huiqiPolicyEditor = { itemData: itemData, itemYaml: itemYaml, model: model };
})();
