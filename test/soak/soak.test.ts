// The soak's short form: 40 s of its fault schedule under 60 requests/s (`npm run soak` runs it
// for 4 minutes at 300). Nothing idempotent may fail, no client may move without a reason, and Mooring ends
// with the descriptors it began with.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { formatReport, runSoak } from './soak.ts';

it('a 40 s soak of kills, hangs, reloads, drains, disables and a health flap fails no GET and leaks no descriptor', async () => {
  // A light load: npm test runs other files beside it on the same two cores.
  const report = await runSoak({ seconds: 40, rate: 60, clients: 30 });
  const text = formatReport(report);
  assert.deepEqual(report.problems, [], text);
  assert.ok(report.sent >= 0.9 * 40 * 60, `the load was sent: ${report.sent}\n${text}`);
  // The faults really moved clients, each with its reason.
  for (const reason of ['down', 'disabled', 'removed']) assert.ok((report.moved[reason] ?? 0) > 0, `clients moved for ${reason}\n${text}`);
  assert.equal(report.faults.length, 8);
  assert.ok(report.samples.length >= 35, `Mooring's memory and descriptors were sampled each second\n${text}`);
});
