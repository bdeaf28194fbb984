/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MT_REPORT_INT_H
#define MT_REPORT_INT_H

/* Output targets other than the local ones of output.c. */

#include "mt/report.h"

/*
 * Opens "s3://bucket/prefix/": each file is written as an object
 * <prefix><name> with the AWS configuration of aws.h, encrypted with SSE-S3,
 * or SSE-KMS under the key named by S3_SSE_KMS_KEY_ID when it is set.
 */
enum mt_status report_output_s3(const char *target, struct mt_output **out, struct mt_err *err);

#endif
