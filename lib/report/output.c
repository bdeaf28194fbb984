/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local report outputs: standard output, a folder, or one named file.
 *
 * Files are written under a temporary name in the destination folder,
 * flushed to disk, and renamed over the final name on commit, so a report
 * either appears whole or not at all and a regenerated week replaces its old
 * file atomically.
 */
#include "report_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct local_output {
    struct mt_output base;
    char *folder;    /* for a folder target */
    char *file;      /* for a single-file target: the CSV's path */
};

struct file_object {
    struct mt_output_object base;
    FILE *f;
    char *tmp_path;
};

static enum mt_status stdout_write(struct mt_output_object *obj, const char *data, size_t len)
{
    (void)obj;
    return fwrite(data, 1, len, stdout) == len ? MT_OK : MT_ERR_IO;
}

static enum mt_status stdout_commit(struct mt_output_object *obj, struct mt_err *err)
{
    enum mt_status st = MT_OK;
    if (fflush(stdout) != 0 || ferror(stdout))
        st = mt_err_set(err, MT_ERR_IO, "cannot write to standard output: %s", strerror(errno));
    free(obj->location);
    free(obj);
    return st;
}

static void stdout_abort(struct mt_output_object *obj)
{
    fflush(stdout);
    free(obj->location);
    free(obj);
}

static enum mt_status file_write(struct mt_output_object *obj, const char *data, size_t len)
{
    struct file_object *fo = (struct file_object *)obj;
    return fwrite(data, 1, len, fo->f) == len ? MT_OK : MT_ERR_IO;
}

static void file_free(struct file_object *fo)
{
    free(fo->tmp_path);
    free(fo->base.location);
    free(fo);
}

static enum mt_status file_commit(struct mt_output_object *obj, struct mt_err *err)
{
    struct file_object *fo = (struct file_object *)obj;
    enum mt_status st = MT_OK;

    bool ok = fflush(fo->f) == 0 && !ferror(fo->f) && fsync(fileno(fo->f)) == 0;
    int e = errno;
    if (fclose(fo->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(fo->tmp_path, fo->base.location) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        st = mt_err_set(err, MT_ERR_IO, "cannot write '%s': %s", fo->base.location, strerror(e));
        unlink(fo->tmp_path);
    }
    file_free(fo);
    return st;
}

static void file_abort(struct mt_output_object *obj)
{
    struct file_object *fo = (struct file_object *)obj;
    fclose(fo->f);
    unlink(fo->tmp_path);
    file_free(fo);
}

/* Opens path for writing through a temporary file beside it. */
static enum mt_status open_file(const char *path, struct mt_output_object **out,
                                struct mt_err *err)
{
    struct file_object *fo = calloc(1, sizeof(*fo));
    size_t n = strlen(path) + 16;
    if (fo == NULL || (fo->tmp_path = malloc(n)) == NULL ||
        (fo->base.location = strdup(path)) == NULL) {
        if (fo != NULL)
            file_free(fo);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory opening '%s'", path);
    }
    snprintf(fo->tmp_path, n, "%s.tmp.XXXXXX", path);

    int fd = mkstemp(fo->tmp_path);
    if (fd < 0 || (fo->f = fdopen(fd, "wb")) == NULL) {
        enum mt_status st = mt_err_set(err, MT_ERR_IO, "cannot create '%s': %s", path,
                                       strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(fo->tmp_path);
        }
        file_free(fo);
        return st;
    }
    fchmod(fd, 0644);
    fo->base.write = file_write;
    fo->base.commit = file_commit;
    fo->base.abort = file_abort;
    *out = &fo->base;
    return MT_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum mt_status local_open(struct mt_output *out, const char *name,
                                 const char *content_type, struct mt_output_object **obj,
                                 struct mt_err *err)
{
    struct local_output *lo = (struct local_output *)out;
    char path[4096];
    (void)content_type;

    if (out->is_stdout) {
        struct mt_output_object *o = calloc(1, sizeof(*o));
        if (o == NULL || (o->location = strdup("-")) == NULL) {
            free(o);
            return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
        }
        o->write = stdout_write;
        o->commit = stdout_commit;
        o->abort = stdout_abort;
        *obj = o;
        return MT_OK;
    }
    if (lo->folder != NULL) {
        snprintf(path, sizeof(path), "%s/%s", lo->folder, name);
    } else if (ends_with(name, ".csv")) {
        snprintf(path, sizeof(path), "%s", lo->file);
    } else {
        /* A companion file (the summary) goes beside the CSV: out.csv -> out.summary.json. */
        size_t base = strlen(lo->file) - (ends_with(lo->file, ".csv") ? 4 : 0);
        const char *dot = strchr(name, '.');
        snprintf(path, sizeof(path), "%.*s%s", (int)base, lo->file, dot ? dot : "");
    }
    return open_file(path, obj, err);
}

static void local_close(struct mt_output *out)
{
    struct local_output *lo = (struct local_output *)out;
    free(lo->folder);
    free(lo->file);
    free(lo);
}

enum mt_status mt_output_open(const char *target, struct mt_output **out, struct mt_err *err)
{
    struct local_output *lo = calloc(1, sizeof(*lo));
    struct stat sb;

    *out = NULL;
    if (strncmp(target, "s3://", 5) == 0) {
        free(lo);
        return report_output_s3(target, out, err);
    }
    if (lo == NULL)
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    lo->base.open = local_open;
    lo->base.close = local_close;

    if (strcmp(target, "-") == 0) {
        lo->base.is_stdout = true;
    } else if (ends_with(target, "/") || (stat(target, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        lo->folder = strdup(target);
        for (size_t n = lo->folder ? strlen(lo->folder) : 0; n > 1 && lo->folder[n - 1] == '/';)
            lo->folder[--n] = '\0';
        if (lo->folder != NULL && mkdir(lo->folder, 0755) != 0 && errno != EEXIST) {
            enum mt_status st = mt_err_set(err, MT_ERR_IO, "cannot create folder '%s': %s",
                                           target, strerror(errno));
            local_close(&lo->base);
            return st;
        }
    } else {
        lo->file = strdup(target);
    }
    if (!lo->base.is_stdout && lo->folder == NULL && lo->file == NULL) {
        local_close(&lo->base);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    }
    *out = &lo->base;
    return MT_OK;
}

void mt_output_close(struct mt_output *out)
{
    if (out != NULL)
        out->close(out);
}
