// The demo's pages, in nav order. A page is a PageModule (demo/page.ts); adding one is one line here.
import type { PageModule } from '../page.js';
import { diffusionPage } from './diffusion.js';
import { galleryPage } from './gallery.js';
import { ganPage } from './gan.js';
import { gpt2Page } from './gpt2.js';
import { kernelsPage } from './kernels.js';
import { mixturesPage } from './mixtures.js';
import { moleculesPage } from './molecules.js';
import { superResolutionPage } from './sr.js';
import { textPage } from './text.js';
import { timeSeriesPage } from './timeseries.js';
import { vaePage } from './vae.js';

export const pages: readonly PageModule[] = [mixturesPage, vaePage, ganPage, diffusionPage, superResolutionPage, galleryPage, textPage, gpt2Page, moleculesPage, timeSeriesPage, kernelsPage];
