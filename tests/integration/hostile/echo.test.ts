/**
 * Issue 14, defect 2: rejected job ids are echoed. The contract lets a message quote a value
 * only when it matches `[A-Za-z0-9._-]{1,16}`; a job id is 32 characters, so neither an unknown
 * one nor a finished job's own id (in the `409`) may be quoted. The fix is the lead's (the
 * connection layer); until it is merged these cases fail on purpose, and none is skipped.
 */
import type { HostileCase } from './cases';
import { describeHostile } from './runner';
import { waitFor } from '../server/app';

const UNKNOWN = 'abcdefghijklmnopqrstuvwxyz012345';

const ECHO_CASES: HostileCase[] = [
	{
		name: 'events of an unknown 32-character job id',
		group: 'path',
		fetch: { path: `/api/training/${UNKNOWN}/events` },
		expect: { status: 404, code: 'not_found' },
		mustNotEcho: [UNKNOWN]
	},
	{
		name: 'events of an unknown job id, resumed with Last-Event-ID',
		group: 'resume',
		fetch: { path: `/api/training/${UNKNOWN}/events`, headers: { 'last-event-id': '3' } },
		expect: { status: 404, code: 'not_found' },
		mustNotEcho: [UNKNOWN]
	},
	{
		name: 'DELETE of an unknown 32-character job id',
		group: 'method',
		fetch: { method: 'DELETE', path: `/api/training/${UNKNOWN}` },
		expect: { status: 404, code: 'not_found' },
		mustNotEcho: [UNKNOWN]
	},
	{
		name: "DELETE of a finished job: the 409 does not quote the job's 32-character id",
		group: 'method',
		fetch: { method: 'DELETE', path: '/api/training/{finished}' },
		expect: { status: 409, code: 'already_finished' },
		mustNotEcho: ['{finished}']
	}
];

/** Starts the smallest job there is and waits for it to finish. */
async function finishedJob(base: string): Promise<Record<string, string>> {
	const created = await fetch(`${base}/api/training`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ total_epochs: 1, steps_per_epoch: 1, step_ms: 1, epoch_pause_ms: 0 })
	});
	const { id } = (await created.json()) as { id: string };
	await waitFor('the job to finish', async () => {
		const list = (await (await fetch(`${base}/api/training`)).json()) as {
			jobs: { id: string; state: string }[];
		};
		return list.jobs.find((job) => job.id === id)?.state === 'complete';
	});
	return { finished: id };
}

describeHostile('job ids are not echoed (issue 14, defect 2: fixed by the lead)', ECHO_CASES, {
	placeholders: finishedJob
});
