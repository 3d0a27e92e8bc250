// Renders skeletons with nunjucks configured as Backstage's SecureTemplater
// does (autoescape off, ${{ }} variable tags, or {{ }} plus Jinja compat and
// a jsonify filter for cookiecutterCompat), for two callers in Go:
//   node render.js check jobs.json   -> prints every rendered path/content
//   node render.js bench jobs.json S -> renders for about S seconds, prints rate
//   node render.js cases cases.json  -> renders single strings (table tests)
//   node render.js inputs in.json    -> renders step inputs like NunjucksWorkflowRunner
// The jobs file is written by the Go tests (see ../nunjucks_compare_test.go).
'use strict';
const fs = require('fs');
const path = require('path');
const nunjucks = require('nunjucks');

function makeEnv(job) {
  const env = new nunjucks.Environment(null, {
    autoescape: false,
    trimBlocks: !!job.trimBlocks,
    lstripBlocks: !!job.lstripBlocks,
    tags: job.cookiecutter
      ? { variableStart: '{{', variableEnd: '}}' }
      : { variableStart: '${{', variableEnd: '}}' },
  });
  if (job.cookiecutter) env.addFilter('jsonify', env.getFilter('dump'));
  return env;
}

// Same heuristic family as the isbinaryfile package: NUL byte near the start.
function isBinary(buf) {
  const n = Math.min(buf.length, 8000);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

// A lone ${{ }} keeps its type: nunjucks parses it to one Output node whose
// first child is not template data.
function isSingleTemplateString(str) {
  const parsed = nunjucks.parser.parse(str, {}, {
    autoescape: false,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  return parsed.children.length === 1 &&
    !(parsed.children[0] && parsed.children[0].children &&
      parsed.children[0].children[0] instanceof nunjucks.nodes.TemplateData);
}

// Backstage's render: a JSON reviver over the input; single expressions are
// wrapped in "( ... ) | dump" and parsed back, everything else is rendered to
// a string, and "" means undefined. Unlike Backstage, errors are not
// swallowed (Rigger reports them), so the comparison sees them.
function renderValue(input, context, env) {
  return JSON.parse(JSON.stringify(input), (_key, value) => {
    if (typeof value !== 'string') return value;
    let single = false;
    try { single = isSingleTemplateString(value); } catch (e) { single = false; }
    if (single) {
      const wrapped = value.replace(/\$\{\{(.+)\}\}/g, '${{ ( $1 ) | dump }}');
      const templated = env.renderString(wrapped, context);
      if (templated === '') return undefined;
      try { return JSON.parse(templated); } catch (e) { /* fall through */ }
    }
    const templated = env.renderString(value, context);
    return templated === '' ? undefined : templated;
  });
}

// Minimal parseRepoUrl / projectSlug / parseEntityRef / pick for the
// comparison, with the public hosts only.
function addBackstageFilters(env) {
  const types = { 'github.com': 'github', 'gitlab.com': 'gitlab', 'dev.azure.com': 'azure', 'bitbucket.org': 'bitbucket' };
  const parseRepoUrl = url => {
    const u = new URL('https://' + url);
    if (!types[u.host]) throw new Error('No matching integration configuration for host ' + u.host);
    const out = { host: u.host };
    for (const k of ['owner', 'organization', 'workspace', 'project', 'repo']) {
      if (u.searchParams.has(k)) out[k] = u.searchParams.get(k).replace(/^\/+|\/+$/g, '');
    }
    return out;
  };
  // Filter results cross a JSON boundary in Backstage's sandbox.
  const viaJSON = f => (...args) => JSON.parse(JSON.stringify(f(...args)));
  env.addFilter('parseRepoUrl', viaJSON(parseRepoUrl));
  env.addFilter('projectSlug', viaJSON(url => { const r = parseRepoUrl(url); return r.owner + '/' + r.repo; }));
  env.addFilter('parseEntityRef', viaJSON((ref, ctx) => {
    let colon = ref.indexOf(':');
    const slash = ref.indexOf('/');
    if (slash !== -1 && slash < colon) colon = -1;
    const kind = colon === -1 ? (ctx && ctx.defaultKind) : ref.slice(0, colon);
    const namespace = slash === -1 ? ((ctx && ctx.defaultNamespace) || 'default') : ref.slice(colon + 1, slash);
    return { kind, namespace, name: ref.slice(Math.max(colon + 1, slash + 1)) };
  }));
  env.addFilter('pick', viaJSON((obj, key) => key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj)));
}

function renderJob(job, env, out) {
  const ctx = { [job.cookiecutter ? 'cookiecutter' : 'values']: job.values };
  let files = 0;
  for (const e of job.entries) {
    const loc = e.dir ? e.rel + '/' : e.rel;
    let rendered = { rel: e.rel };
    try {
      rendered.path = e.renderPath ? env.renderString(loc, ctx) : loc;
      if (!e.dir) {
        files++;
        const buf = fs.readFileSync(path.join(job.root, e.rel));
        if (e.renderContents && !isBinary(buf)) {
          rendered.content = env.renderString(buf.toString('utf-8'), ctx);
        }
      }
    } catch (err) {
      rendered.error = String(err.message);
    }
    if (out) out.push(rendered);
  }
  return files;
}

const [mode, jobsFile, seconds] = process.argv.slice(2);
const jobs = JSON.parse(fs.readFileSync(jobsFile, 'utf-8'));
const envs = jobs.map(makeEnv);
if (mode === 'check') {
  // Backstage installs Jinja compat only while rendering cookiecutter
  // templates: render the others first.
  const results = new Array(jobs.length);
  for (const compat of [false, true]) {
    if (compat) nunjucks.installJinjaCompat();
    jobs.forEach((job, i) => {
      if (!!job.cookiecutter !== compat) return;
      const out = [];
      renderJob(job, envs[i], out);
      results[i] = { id: job.id, entries: out };
    });
  }
  process.stdout.write(JSON.stringify(results));
} else if (mode === 'cases') {
  // Single template strings: [{src, vars, cookiecutter}] -> [{out}|{error}]
  const results = new Array(jobs.length);
  for (const compat of [false, true]) {
    if (compat) nunjucks.installJinjaCompat();
    jobs.forEach((c, i) => {
      if (!!c.cookiecutter !== compat) return;
      try {
        results[i] = { out: envs[i].renderString(c.src, c.vars) };
      } catch (err) {
        results[i] = { error: String(err.message) };
      }
    });
  }
  process.stdout.write(JSON.stringify(results));
} else if (mode === 'inputs') {
  // Step inputs rendered the way NunjucksWorkflowRunner.render does it:
  // [{input, context}] -> [{value}|{undefined:true}|{error}]
  const env = makeEnv({});
  addBackstageFilters(env);
  const results = jobs.map(c => {
    try {
      const v = renderValue(c.input, c.context, env);
      return v === undefined ? { undefined: true } : { value: v };
    } catch (err) {
      return { error: String(err.message) };
    }
  });
  process.stdout.write(JSON.stringify(results));
} else if (mode === 'bench') {
  const budget = Number(seconds || 3) * 1e9;
  // Warm up V8's JIT like the Go side warms up its caches.
  jobs.forEach((job, i) => renderJob(job, envs[i], null));
  let files = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    jobs.forEach((job, i) => { files += renderJob(job, envs[i], null); });
    elapsed = process.hrtime.bigint() - start;
  } while (Number(elapsed) < budget);
  const secs = Number(elapsed) / 1e9;
  process.stdout.write(JSON.stringify({ files, seconds: secs, filesPerSecond: files / secs }));
} else {
  console.error('usage: node render.js check|bench jobs.json [seconds]');
  process.exit(2);
}
