/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local report outputs: standard output, a folder, or one named file.
 *
 * Files are written under a temporary name in the destination folder,
 * flushed to disk (prepare), and renamed over the final name on commit, so a
 * report either appears whole or not at all and a regenerated week replaces
 * its old file atomically.
 *
 * LIMITATION: a process killed outright (SIGKILL, power loss) while writing
 * leaves its "NAME.tmp.XXXXXX" file behind; nothing removes it later, since
 * another report may be writing one of the same name pattern.
 */
#include "report_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct local_output {
    struct mt_output base;
    char *folder;    /* for a folder target */
    char *file;      /* for a single-file target: the CSV's name as given */
    char *real_file; /* where the CSV is written: file, with a symbolic link followed */
    char *stream;    /* a device, pipe or socket written in place; NULL with stdout */
};

struct stream_object {
    struct mt_output_object base;
    FILE *f;
    bool owned; /* opened here, so closed here */
};

/*
 * The temporary files not yet renamed, for mt_output_remove_temporary: a
 * report holds at most two at once (the CSV and its summary).  The handler
 * reads a slot's path only while its flag is 1.
 */
#define TEMPORARY_SLOTS 2
static char s_temporary[TEMPORARY_SLOTS][4096];
static volatile sig_atomic_t s_temporary_set[TEMPORARY_SLOTS];

void mt_output_remove_temporary(void)
{
    for (int i = 0; i < TEMPORARY_SLOTS; i++) {
        if (s_temporary_set[i])
            unlink(s_temporary[i]);
    }
}

/* Records path in a free slot; returns the slot, or -1 when none is free or it does not fit. */
static int remember_temporary(const char *path)
{
    size_t n = strlen(path);
    for (int i = 0; i < TEMPORARY_SLOTS && n < sizeof(s_temporary[i]); i++) {
        if (!s_temporary_set[i]) {
            memcpy(s_temporary[i], path, n + 1);
            s_temporary_set[i] = 1;
            return i;
        }
    }
    return -1;
}

static void forget_temporary(int slot)
{
    if (slot >= 0)
        s_temporary_set[slot] = 0;
}

struct file_object {
    struct mt_output_object base;
    FILE *f; /* NULL once prepared */
    char *tmp_path;
    int temporary_slot; /* for mt_output_remove_temporary; -1 when none */
};

static enum mt_status stream_write(struct mt_output_object *obj, const char *data, size_t len)
{
    struct stream_object *so = (struct stream_object *)obj;
    if (fwrite(data, 1, len, so->f) == len)
        return MT_OK;
    obj->error = errno;
    return MT_ERR_IO;
}

static void stream_free(struct stream_object *so)
{
    free(so->base.location);
    free(so);
}

static enum mt_status stream_commit(struct mt_output_object *obj, struct mt_err *err)
{
    struct stream_object *so = (struct stream_object *)obj;
    enum mt_status st = MT_OK;
    bool ok = fflush(so->f) == 0 && !ferror(so->f);
    int e = errno;

    if (so->owned && fclose(so->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok && so->owned)
        st = mt_err_set(err, MT_ERR_IO, "cannot write '%s': %s", so->base.location, strerror(e));
    else if (!ok)
        st = mt_err_set(err, MT_ERR_IO, "cannot write to standard output: %s", strerror(e));
    stream_free(so);
    return st;
}

static void stream_abort(struct mt_output_object *obj)
{
    struct stream_object *so = (struct stream_object *)obj;
    fflush(so->f);
    if (so->owned)
        fclose(so->f);
    stream_free(so);
}

/* Opens standard output (path NULL) or a device, pipe or socket for writing in place. */
static enum mt_status open_stream(const char *path, struct mt_output_object **out,
                                  struct mt_err *err)
{
    struct stream_object *so = calloc(1, sizeof(*so));
    if (so == NULL || (so->base.location = strdup(path ? path : "-")) == NULL) {
        free(so);
        return mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    }
    so->f = path ? fopen(path, "wb") : stdout;
    so->owned = path != NULL;
    if (so->f == NULL) {
        enum mt_status st = mt_err_set(err, MT_ERR_IO, "cannot open '%s': %s", path,
                                       strerror(errno));
        stream_free(so);
        return st;
    }
    so->base.write = stream_write;
    so->base.commit = stream_commit;
    so->base.abort = stream_abort;
    *out = &so->base;
    return MT_OK;
}

static enum mt_status file_write(struct mt_output_object *obj, const char *data, size_t len)
{
    struct file_object *fo = (struct file_object *)obj;
    if (fwrite(data, 1, len, fo->f) == len)
        return MT_OK;
    obj->error = errno;
    return MT_ERR_IO;
}

static void file_free(struct file_object *fo)
{
    forget_temporary(fo->temporary_slot);
    free(fo->tmp_path);
    free(fo->base.location);
    free(fo);
}

/* Flushes the temporary file to disk and closes it; the rename is left to commit. */
static enum mt_status file_prepare(struct mt_output_object *obj, struct mt_err *err)
{
    struct file_object *fo = (struct file_object *)obj;
    if (fo->f == NULL)
        return MT_OK;

    bool ok = fflush(fo->f) == 0 && !ferror(fo->f) && fsync(fileno(fo->f)) == 0;
    int e = errno;
    if (fclose(fo->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    fo->f = NULL;
    if (!ok)
        return mt_err_set(err, MT_ERR_IO, "cannot write '%s': %s", fo->base.location,
                          strerror(e));
    return MT_OK;
}

static enum mt_status file_commit(struct mt_output_object *obj, struct mt_err *err)
{
    struct file_object *fo = (struct file_object *)obj;
    enum mt_status st = file_prepare(obj, err);

    if (st == MT_OK && rename(fo->tmp_path, fo->base.location) != 0)
        st = mt_err_set(err, MT_ERR_IO, "cannot write '%s': %s", fo->base.location,
                        strerror(errno));
    if (st != MT_OK)
        unlink(fo->tmp_path);
    file_free(fo);
    return st;
}

static void file_abort(struct mt_output_object *obj)
{
    struct file_object *fo = (struct file_object *)obj;
    if (fo->f != NULL)
        fclose(fo->f);
    unlink(fo->tmp_path);
    file_free(fo);
}

/* Opens path for writing through a temporary file beside it. */
static enum mt_status open_file(const char *path, struct mt_output_object **out,
                                struct mt_err *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return mt_err_set(err, MT_ERR_IO, "cannot write '%s': it is a folder", path);

    struct file_object *fo = calloc(1, sizeof(*fo));
    size_t n = strlen(path) + 16;
    if (fo != NULL)
        fo->temporary_slot = -1;
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
    fo->temporary_slot = remember_temporary(fo->tmp_path);
    fchmod(fd, 0644);
    fo->base.write = file_write;
    fo->base.prepare = file_prepare;
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

    if (out->single_stream)
        return open_stream(lo->stream, obj, err);
    if (lo->folder != NULL) {
        snprintf(path, sizeof(path), "%s/%s", lo->folder, name);
    } else if (ends_with(name, ".csv")) {
        snprintf(path, sizeof(path), "%s", lo->real_file);
    } else {
        /*
         * A companion file (the summary) goes beside the file the CSV is
         * written to, a symbolic link followed: out.csv -> out.summary.json.
         */
        size_t base = strlen(lo->real_file) - (ends_with(lo->real_file, ".csv") ? 4 : 0);
        const char *dot = strchr(name, '.');
        snprintf(path, sizeof(path), "%.*s%s", (int)base, lo->real_file, dot ? dot : "");
    }
    return open_file(path, obj, err);
}

static void local_close(struct mt_output *out)
{
    struct local_output *lo = (struct local_output *)out;
    free(lo->folder);
    free(lo->file);
    free(lo->real_file);
    free(lo->stream);
    free(lo);
}

/*
 * Sets up a file target.  A device, pipe or socket is written in place (a
 * rename would replace it); a symbolic link is followed so that the file it
 * points to is replaced, not the link.
 */
static enum mt_status open_file_target(struct local_output *lo, const char *target,
                                       struct mt_err *err)
{
    struct stat sb, lsb;
    bool exists = stat(target, &sb) == 0;

    if (exists && !S_ISREG(sb.st_mode)) {
        lo->base.single_stream = true;
        lo->stream = strdup(target);
        return lo->stream ? MT_OK : mt_err_set(err, MT_ERR_NOMEM, "out of memory");
    }
    if (!exists && lstat(target, &lsb) == 0 && S_ISLNK(lsb.st_mode))
        return mt_err_set(err, MT_ERR_IO, "'%s' is a symbolic link to a missing file", target);

    lo->file = strdup(target);
    lo->real_file = exists ? realpath(target, NULL) : strdup(target);
    if (lo->file == NULL || lo->real_file == NULL)
        return mt_err_set(err, MT_ERR_IO, "cannot resolve '%s': %s", target, strerror(errno));
    return MT_OK;
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
        lo->base.single_stream = true;
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
        enum mt_status st = open_file_target(lo, target, err);
        if (st != MT_OK) {
            local_close(&lo->base);
            return st;
        }
    }
    if (!lo->base.single_stream && lo->folder == NULL && lo->file == NULL) {
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
