import type { WebRoute } from '../../deps.ts';
import { reportsDetail } from './detail.ts';
import { reportsDownload } from './download.ts';
import { reportsList } from './list.ts';
import { reportsResend } from './resend.ts';
import { reportsReview } from './review.ts';
import { reportsReviewApprove } from './review-approve.ts';
import { reportsReviewEdit } from './review-edit.ts';
import { reportsReviewPreview } from './review-preview.ts';
import { reportsReviewTest } from './review-test.ts';

/** The console's reports pages and actions: one file per page or action, listed here in order. */
export const reportsRoutes: WebRoute[] = [
  reportsList,
  reportsDetail,
  reportsDownload,
  reportsResend,
  reportsReview,
  reportsReviewPreview,
  reportsReviewEdit,
  reportsReviewTest,
  reportsReviewApprove,
];
