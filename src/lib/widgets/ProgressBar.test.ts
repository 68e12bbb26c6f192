// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import ProgressBar from './ProgressBar.svelte';
import Sparkline from './Sparkline.svelte';

afterEach(() => cleanup());

describe('ProgressBar', () => {
	it('is a progressbar with its value, bounds and name, in step with its label', () => {
		const { container } = render(ProgressBar, { props: { label: 'Overall', value: 42.5 } });
		const bar = screen.getByRole('progressbar', { name: 'Overall' });
		expect(bar.getAttribute('aria-valuenow')).toBe('42.5');
		expect(bar.getAttribute('aria-valuemin')).toBe('0');
		expect(bar.getAttribute('aria-valuemax')).toBe('100');
		expect(screen.getByText('42.50%')).toBeTruthy();
		const fill = container.querySelector<SVGRectElement>('.fill');
		expect(fill?.style.transform).toBe('scaleX(0.425)');
	});

	it('clamps out-of-range values and leaves an unknown value without aria-valuenow', async () => {
		const { rerender } = render(ProgressBar, { props: { label: 'CPU', value: 140 } });
		expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
		await rerender({ label: 'CPU', value: null });
		expect(screen.getByRole('progressbar').hasAttribute('aria-valuenow')).toBe(false);
		expect(screen.getByText('not available')).toBeTruthy();
	});
});

describe('Sparkline', () => {
	it('draws a labelled line and nothing without values', async () => {
		const { container, rerender } = render(Sparkline, {
			props: { values: [1, 2, 3], label: 'Loss curve' }
		});
		expect(screen.getByRole('img', { name: 'Loss curve' })).toBeTruthy();
		expect(container.querySelector('.line')?.getAttribute('d')).toMatch(/^M/);
		await rerender({ values: [], label: 'Loss curve' });
		expect(container.querySelector('.line')).toBeNull();
	});
});
