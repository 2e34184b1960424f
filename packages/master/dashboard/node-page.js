// A node's own page (`#/nodes/<id>`): its health, capacity, labels, the jobs
// running on it and its recent failures, and drain / undrain (admin tokens).

import { api, ApiError } from './api.js';
import { $, badge, bytes, chips, duration, el, link, meter, result, runtime, shortId, timeEl } from './format.js';

/** How often the page reads its jobs again while it is open. */
const REFRESH_MS = 3000;

const page = { id: null, timer: null, node: null };

export function shownNodeId() {
  return page.id;
}

export async function openNode(id) {
  closeNode();
  page.id = id;
  $('node-view').dataset.node = id;
  $('node-title').textContent = id;
  $('node-missing').hidden = true;
  $('node-body').hidden = true;
  $('node-error').hidden = true;
  await refresh(id);
}

export function closeNode() {
  clearTimeout(page.timer);
  page.id = null;
  page.node = null;
}

async function refresh(id) {
  clearTimeout(page.timer);
  try {
    const data = await api(`/api/v1/nodes/${encodeURIComponent(id)}`);
    if (page.id !== id) return;
    $('node-body').hidden = false;
    $('node-missing').hidden = true;
    render(data);
  } catch (error) {
    if (page.id !== id) return;
    if (error instanceof ApiError && error.status === 404) {
      $('node-body').hidden = true;
      $('node-missing-text').textContent = `${error.message}.`;
      $('node-missing').hidden = false;
    }
  }
  if (page.id === id) page.timer = setTimeout(() => refresh(id), REFRESH_MS);
}

function jobRows(jobs) {
  return jobs.map((job) =>
    el(
      'tr',
      { 'data-job': job.id },
      el('td', { class: 'mono' }, link(`#/jobs/${job.id}`, shortId(job.id), { title: job.id })),
      el(
        'td',
        {},
        badge(job.state),
        job.state === 'FAILED' ? el('span', { class: 'muted', text: ` ${result(job)}` }) : null,
      ),
      el('td', { class: 'cmd', title: job.command, text: job.command }),
      job.state === 'RUNNING'
        ? timeEl('td', job.startedAt, { class: 'num' })
        : timeEl('td', job.finishedAt, { class: 'num' }),
      el('td', {
        class: job.state === 'FAILED' ? 'bad' : 'num',
        text: job.state === 'FAILED' ? job.error || '' : runtime(job),
      }),
    ),
  );
}

function render({ node, running, recentFailures, failuresScanned }) {
  page.node = node;
  const held = node.state === 'HEALTHY' && node.unavailableReason;
  $('node-state').replaceChildren(
    badge(node.draining ? 'DRAINING' : held ? 'HEALTHY*' : node.state, held ? 'SUSPECT' : node.state),
  );
  $('drain-button').hidden = node.draining;
  $('undrain-button').hidden = !node.draining;
  const facts = [
    ['Address', node.address],
    ['Heartbeat', `${duration(Date.now() - Date.parse(node.lastHeartbeat))} ago`],
    ['Registered', timeEl('span', node.registeredAt)],
    ['Why no new work', node.unavailableReason],
    ['Draining', node.draining ? 'yes: running jobs finish, nothing new is placed here' : null],
    ['Task slots', el('span', {}, meter(node.activeTasks, node.maxTasks), `${node.activeTasks} / ${node.maxTasks}`)],
    ['CPU', el('span', {}, meter(node.usedCpus, node.cpus), `${+node.usedCpus.toFixed(2)} / ${node.cpus}`)],
    [
      'Memory',
      el(
        'span',
        {},
        meter(node.usedMemoryBytes, node.memoryBytes),
        `${bytes(node.usedMemoryBytes)} / ${bytes(node.memoryBytes)}`,
      ),
    ],
    ['Labels', el('span', {}, ...chips(node.labels))],
    ['Capabilities', node.capabilities.join(', ') || null],
    ['Version', node.version],
    ['Flaps (10 min)', node.recentFlaps ? String(node.recentFlaps) : null],
  ];
  $('node-facts').replaceChildren(
    ...facts
      .filter(([, v]) => v)
      .flatMap(([k, v]) => [el('dt', { text: k }), typeof v === 'string' ? el('dd', { text: v }) : el('dd', {}, v)]),
  );
  $('node-running').tBodies[0].replaceChildren(...jobRows(running));
  $('node-running-empty').hidden = running.length > 0;
  $('node-failures').tBodies[0].replaceChildren(...jobRows(recentFailures));
  $('node-failures-empty').hidden = recentFailures.length > 0;
  $('node-failures-hint').textContent =
    `its last 10, from the newest ${failuresScanned.toLocaleString('en')} failed jobs of the cluster`;
}

async function setDrain(drain) {
  const id = page.id;
  const button = $(drain ? 'drain-button' : 'undrain-button');
  button.disabled = true;
  $('node-error').hidden = true;
  try {
    await api(`/api/v1/nodes/${encodeURIComponent(id)}/${drain ? 'drain' : 'undrain'}`, { method: 'POST' });
    await refresh(id);
  } catch (error) {
    $('node-error').textContent = error.message;
    $('node-error').hidden = false;
  } finally {
    button.disabled = false;
  }
}

export function setUpNodePage() {
  $('drain-button').addEventListener('click', () => setDrain(true));
  $('undrain-button').addEventListener('click', () => setDrain(false));
}
