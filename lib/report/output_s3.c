/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The S3 report output: each file of a report becomes one object under the
 * target's prefix, written through mt_s3_writer (one PutObject, or a
 * multipart upload of 8 MiB parts for a large CSV), so memory stays at one
 * part.  An object appears only when committed, and a regenerated week
 * overwrites its objects whole, as the local outputs rename over old files.
 *
 * Server-side encryption is SSE-S3 (AES256) unless S3_SSE_KMS_KEY_ID names a
 * KMS key, which selects aws:kms with that key.
 */
#include "report_int.h"

#include "mt/aws.h"
#include "mt/env.h"
#include "mt/s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s3_output {
    struct mt_output base;
    struct mt_s3_target target;
    struct mt_aws_config *aws;
    struct mt_s3_client *client;
    char *kms_key_id; /* NULL for SSE-S3 */
};

struct s3_object {
    struct mt_output_object base;
    struct mt_s3_writer *writer;
    struct mt_err err;  /* the first write failure, reported on commit */
};

static enum mt_status object_write(struct mt_output_object *obj, const char *data, size_t len)
{
    struct s3_object *o = (struct s3_object *)obj;
    return mt_s3_writer_write(o->writer, data, len, &o->err);
}

static enum mt_status object_commit(struct mt_output_object *obj, struct mt_err *err)
{
    struct s3_object *o = (struct s3_object *)obj;
    enum mt_status st = o->err.code != MT_OK ? o->err.code : MT_OK;

    if (st != MT_OK) {
        mt_s3_writer_abort(o->writer);
        mt_err_set(err, st, "%s", o->err.detail);
    } else {
        st = mt_s3_writer_commit(o->writer, err);
    }
    free(o->base.location);
    free(o);
    return st;
}

static void object_abort(struct mt_output_object *obj)
{
    struct s3_object *o = (struct s3_object *)obj;
    mt_s3_writer_abort(o->writer);
    free(o->base.location);
    free(o);
}

static enum mt_status s3_open(struct mt_output *out, const char *name, const char *content_type,
                              struct mt_output_object **obj, struct mt_err *err)
{
    struct s3_output *so = (struct s3_output *)out;
    struct mt_s3_put_options options = {content_type, so->kms_key_id, 0};
    struct s3_object *o = calloc(1, sizeof(*o));
    char key[2048];

    *obj = NULL;
    snprintf(key, sizeof(key), "%s%s", so->target.prefix, name);
    if (o == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening an S3 object");
    enum mt_status st = mt_s3_writer_open(so->client, so->target.bucket, key, &options,
                                          &o->writer, err);
    if (st == MT_OK && (o->base.location = strdup(mt_s3_writer_location(o->writer))) == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    if (st != MT_OK) {
        mt_s3_writer_abort(o->writer);
        free(o);
        return st;
    }
    o->base.write = object_write;
    o->base.commit = object_commit;
    o->base.abort = object_abort;
    *obj = &o->base;
    return MT_OK;
}

static void s3_close(struct mt_output *out)
{
    struct s3_output *so = (struct s3_output *)out;
    mt_s3_client_free(so->client);
    mt_aws_config_free(so->aws);
    free(so->kms_key_id);
    free(so);
}

enum mt_status report_output_s3(const char *target, struct mt_output **out, struct mt_err *err)
{
    struct s3_output *so = calloc(1, sizeof(*so));
    const char *kms = mt_env_get("S3_SSE_KMS_KEY_ID");
    enum mt_status st;

    *out = NULL;
    if (so == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening '%s'", target);
    so->base.open = s3_open;
    so->base.close = s3_close;
    st = mt_s3_target_parse(target, &so->target, err);
    if (st == MT_OK && kms != NULL && (so->kms_key_id = strdup(kms)) == NULL)
        st = mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    if (st == MT_OK)
        st = mt_aws_config_load(&so->aws, err);
    if (st == MT_OK)
        st = mt_s3_client_new(so->aws, NULL, &so->client, err);
    if (st != MT_OK) {
        s3_close(&so->base);
        return st;
    }
    *out = &so->base;
    return MT_OK;
}
