/**
 * The Content-Security-Policy and security headers, in Chromium: the dashboard (per-request
 * nonce) and the static demo (hashes in a <meta> tag) both carry a CSP whose script-src has no
 * 'unsafe-inline', and both still work under it, with not one violation reported.
 */
import { expect, test, type Page } from '@playwright/test';
import { expectDashboardLive, headerStatus } from './dashboard-helpers';

/** Records every CSP violation the page reports, from its first script on. */
async function recordViolations(page: Page): Promise<() => Promise<string[]>> {
	await page.addInitScript(() => {
		const w = window as unknown as { __violations: string[] };
		w.__violations = [];
		document.addEventListener('securitypolicyviolation', (e) =>
			w.__violations.push(`${e.violatedDirective} ${e.blockedURI}`)
		);
	});
	const console: string[] = [];
	page.on('console', (message) => {
		if (/Content Security Policy/i.test(message.text())) console.push(message.text());
	});
	return async () => [
		...(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)),
		...console
	];
}

/** The directives of a CSP, by name. */
function directives(policy: string): Map<string, string[]> {
	return new Map(
		policy
			.split(';')
			.map((d) => d.trim().split(/\s+/))
			.filter((parts) => parts[0])
			.map(([name, ...values]) => [name!, values])
	);
}

test('the dashboard sends a strict CSP and security headers, and works under them', async ({
	page
}) => {
	const violations = await recordViolations(page);
	const response = await page.goto(process.env.E2E_SERVER_URL ?? '');
	const headers = response!.headers();
	const csp = directives(headers['content-security-policy'] ?? '');
	const scripts = csp.get('script-src') ?? [];
	expect(scripts).toContain("'self'");
	expect(scripts.some((s) => s.startsWith("'nonce-"))).toBe(true);
	expect(scripts).not.toContain("'unsafe-inline'");
	expect(scripts).not.toContain("'unsafe-eval'");
	expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
	expect(csp.get('object-src')).toEqual(["'none'"]);
	expect(headers['x-content-type-options']).toBe('nosniff');
	expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');

	await expect(headerStatus(page)).toHaveText('live');
	await expectDashboardLive(page);
	expect(await violations()).toEqual([]);
});

test('the static demo carries its CSP as a meta tag with hashes, and its mock still works', async ({
	page
}) => {
	const violations = await recordViolations(page);
	await page.goto(process.env.E2E_DEMO_URL ?? '');
	const policy = await page
		.locator('meta[http-equiv="content-security-policy"]')
		.getAttribute('content');
	const scripts = directives(policy ?? '').get('script-src') ?? [];
	expect(scripts.some((s) => s.startsWith("'sha256-"))).toBe(true);
	expect(scripts).not.toContain("'unsafe-inline'");
	await expect(page.getByText('Mocked data.')).toBeVisible();
	await expect(headerStatus(page)).toHaveText('live');
	await expectDashboardLive(page);
	expect(await violations()).toEqual([]);
});
