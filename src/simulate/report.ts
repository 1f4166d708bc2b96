// What `mooring simulate` prints (a table) and draws (--plot: an SVG bar chart of sessions per
// server before and after the change).
import type { Simulation } from './simulate.ts';

const pct = (n: number, of: number) => (of === 0 ? '0.0%' : `${((100 * n) / of).toFixed(1)}%`);

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd()).join('\n');
}

export function formatSimulation(sim: Simulation): string {
  const { change } = sim;
  const head = `service ${sim.service}: ${sim.sessions} sessions, algorithm ${sim.algorithm}, persistence ${sim.persistence}; ${change.kind} ${change.server}`;
  const rows = [['server', 'before', 'after', 'change', 'new sessions']];
  for (const s of sim.servers) {
    const after = s.after === undefined ? '–' : String(s.after);
    const delta = s.after === undefined ? 'removed' : `${s.after - s.before >= 0 ? '+' : ''}${s.after - s.before}`;
    const share = s.after === undefined || (change.kind === 'drain' && s.id === change.server) ? '–' : pct(s.newShare, 1);
    rows.push([s.id, String(s.before), after, delta, share]);
  }
  const why = sim.pinned
    ? `persistence ${sim.persistence} keeps each session on its server; only sessions of a removed server move`
    : sim.algorithm === 'maglev'
      ? 'no persistence: each session follows its key through the maglev table, so a change moves about 1/N of them'
      : `no persistence: ${sim.algorithm} places every request anew, so sessions are not kept on a server at all`;
  const lines = [head, '', pad(rows), '', `moved: ${sim.moved} of ${sim.sessions} sessions (${pct(sim.moved, sim.sessions)}): ${why}`];
  if (sim.unplaced.before + sim.unplaced.after > 0) {
    lines.push(`no room (maxSessions): ${sim.unplaced.before} sessions before, ${sim.unplaced.after} after`);
  }
  return lines.join('\n');
}

const escape = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A grouped bar chart: for each server, its sessions before (grey) and after (blue). */
export function plotSimulation(sim: Simulation): string {
  const W = 640;
  const H = 320;
  const left = 56;
  const bottom = 40;
  const top = 60;
  const plotW = W - left - 16;
  const plotH = H - top - bottom;
  const max = Math.max(1, ...sim.servers.flatMap((s) => [s.before, s.after ?? 0]));
  const group = plotW / sim.servers.length;
  const bar = Math.min(40, group / 3);
  const y = (n: number) => top + plotH - (plotH * n) / max;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = Math.round((max * i) / 4);
    parts.push(`<line x1="${left}" x2="${W - 16}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e5ec"/>`, `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  sim.servers.forEach((s, i) => {
    const x = left + group * i + group / 2;
    parts.push(`<rect x="${x - bar}" y="${y(s.before)}" width="${bar}" height="${top + plotH - y(s.before)}" fill="#aab3c5"><title>${escape(s.id)} before: ${s.before}</title></rect>`);
    if (s.after !== undefined) parts.push(`<rect x="${x}" y="${y(s.after)}" width="${bar}" height="${top + plotH - y(s.after)}" fill="#2f6fdf"><title>${escape(s.id)} after: ${s.after}</title></rect>`);
    parts.push(`<text x="${x}" y="${H - bottom + 18}" text-anchor="middle">${escape(s.id)}${s.after === undefined ? ' (removed)' : ''}</text>`);
  });
  const title = `${escape(sim.service)}: ${sim.change.kind} ${escape(sim.change.server)}, ${sim.moved} of ${sim.sessions} sessions moved`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12" fill="#1d2330">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${left}" y="20" font-size="14" font-weight="600">${title}</text>
<rect x="${left}" y="30" width="10" height="10" fill="#aab3c5"/><text x="${left + 14}" y="39">sessions before</text>
<rect x="${left + 130}" y="30" width="10" height="10" fill="#2f6fdf"/><text x="${left + 144}" y="39">after</text>
${parts.join('\n')}
</svg>
`;
}
