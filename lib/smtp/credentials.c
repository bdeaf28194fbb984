/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SMTP credentials from the caller or from a private file.
 *
 * The file is opened once and checked through its descriptor (fstat), so
 * the mode checked is the mode of the file read.  It is read with read(2)
 * into a buffer that is wiped, never through stdio, whose buffers would keep
 * a copy of the password.  Two formats: "username=" / "password=" lines, or
 * exactly two lines (user name, then password), the layout of a file made
 * with `printf '%s\n%s\n' "$USER" "$PASS"`.  Values are never quoted in
 * errors.
 */
#include "smtp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREDENTIALS_FILE_MAX 65536
#define CREDENTIAL_MAX       1024

void mt_smtp_credentials_init(struct mt_smtp_credentials *c)
{
    mt_buf_init(&c->username, CREDENTIAL_MAX);
    mt_buf_init(&c->password, CREDENTIAL_MAX);
}

void mt_smtp_credentials_cleanup(struct mt_smtp_credentials *c)
{
    mt_buf_cleanup_secure(&c->username);
    mt_buf_cleanup_secure(&c->password);
}

/* Printable ASCII without blanks; what both SES user names and passwords are made of. */
static bool is_credential_text(struct mt_str s)
{
    if (s.ptr == NULL || s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] <= ' ' || s.ptr[i] >= 0x7f)
            return false;
    }
    return true;
}

/* Stores both values after checking them; where names the source for messages. */
static enum mt_status store(struct mt_smtp_credentials *c, struct mt_str user, struct mt_str pass,
                            const char *where, struct mt_err *err)
{
    if (!is_credential_text(user))
        return mt_err_set(err, MT_ERR_INVALID,
                          "the SMTP user name %s is empty or has blanks, control or non-ASCII "
                          "characters",
                          where);
    if (!is_credential_text(pass))
        return mt_err_set(err, MT_ERR_INVALID,
                          "the SMTP password %s is empty or has blanks, control or non-ASCII "
                          "characters",
                          where);

    /* Start from fresh buffers so the single append never reallocates a secret. */
    mt_smtp_credentials_cleanup(c);
    mt_smtp_credentials_init(c);
    enum mt_status st = mt_buf_append(&c->username, user.ptr, user.len);
    if (st == MT_OK)
        st = mt_buf_append(&c->password, pass.ptr, pass.len);
    return st == MT_OK ? MT_OK
                       : mt_err_set(err, st,
                                    "the SMTP user name or password %s is longer "
                                    "than %d bytes",
                                    where, CREDENTIAL_MAX);
}

enum mt_status mt_smtp_credentials_set(struct mt_smtp_credentials *c, const char *username,
                                       const char *password, struct mt_err *err)
{
    return store(c, mt_str_from_cstr(username), mt_str_from_cstr(password), "given", err);
}

/*
 * Reads the whole descriptor into out.  The buffer is sized to its cap once,
 * so it is never reallocated: realloc would free a copy without wiping it.
 * MT_ERR_IO, MT_ERR_TOO_LARGE.
 */
static enum mt_status read_all(int fd, const char *path, struct mt_buf *out, struct mt_err *err)
{
    enum mt_status st = mt_buf_reserve(out, out->max);
    if (st != MT_OK)
        return mt_err_set(err, st, "cannot read credentials file '%s'", path);

    for (;;) {
        char probe;
        bool full = out->len == out->max;
        ssize_t n =
            full ? read(fd, &probe, 1) : read(fd, out->data + out->len, out->max - out->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mt_err_set(err, MT_ERR_IO, "cannot read credentials file '%s': %s", path,
                              strerror(errno));
        if (n == 0)
            return MT_OK;
        if (full)
            return mt_err_set(err, MT_ERR_TOO_LARGE,
                              "credentials file '%s' is larger than %zu bytes", path, out->max);
        out->len += (size_t)n;
        out->data[out->len] = '\0';
    }
}

/* Opens path and checks it is a regular file private to its owner. */
static enum mt_status open_private(const char *path, int *fd_out, struct mt_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return mt_err_set(err, MT_ERR_IO, "cannot open credentials file '%s': %s", path,
                          strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mt_err_set(err, MT_ERR_CONFIG, "credentials file '%s' is not a regular file", path);
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        return mt_err_set(err, MT_ERR_CONFIG,
                          "credentials file '%s' has mode %04o, so others may use it; run "
                          "'chmod 600 %s'",
                          path, (unsigned)(st.st_mode & 07777), path);
    }
    *fd_out = fd;
    return MT_OK;
}

/* The next line of text at *pos, without its line end and surrounding blanks. */
static struct mt_str next_line(struct mt_str text, size_t *pos)
{
    size_t start = *pos;
    const char *nl = memchr(text.ptr + start, '\n', text.len - start);
    size_t end = nl ? (size_t)(nl - text.ptr) : text.len;

    *pos = nl ? end + 1 : text.len;
    return mt_str_trim((struct mt_str){text.ptr + start, end - start});
}

/* True when line is "key=..." (blanks allowed around '='); *value gets the rest. */
static bool take_key(struct mt_str line, const char *key, struct mt_str *value)
{
    size_t n = strlen(key);
    if (line.len < n || memcmp(line.ptr, key, n) != 0)
        return false;

    struct mt_str rest = mt_str_trim((struct mt_str){line.ptr + n, line.len - n});
    if (rest.len == 0 || rest.ptr[0] != '=')
        return false;
    *value = mt_str_trim((struct mt_str){rest.ptr + 1, rest.len - 1});
    return true;
}

/* Parses either format; the two-line one is taken when no line names a key. */
static enum mt_status parse(struct mt_smtp_credentials *c, struct mt_str text, const char *path,
                            struct mt_err *err)
{
    struct mt_str user = MT_STR_NULL, pass = MT_STR_NULL, plain[2];
    size_t pos = 0, plain_count = 0, keyed = 0, lineno = 0;

    while (pos < text.len) {
        struct mt_str line = next_line(text, &pos), v;
        lineno++;
        if (line.len == 0 || line.ptr[0] == '#')
            continue;
        if (take_key(line, "username", &v) || take_key(line, "password", &v)) {
            *(line.ptr[0] == 'u' ? &user : &pass) = v;
            keyed++;
        } else if (plain_count < 2) {
            plain[plain_count++] = line;
        } else {
            return mt_err_set(err, MT_ERR_PARSE,
                              "credentials file '%s', line %zu: expected 'username=' and "
                              "'password=' lines, or just two lines",
                              path, lineno);
        }
    }
    if (keyed > 0 && plain_count > 0)
        return mt_err_set(err, MT_ERR_PARSE,
                          "credentials file '%s' mixes 'username='/'password=' lines with "
                          "other text",
                          path);
    if (keyed == 0 && plain_count == 2) {
        user = plain[0];
        pass = plain[1];
    }
    if (user.ptr == NULL || pass.ptr == NULL)
        return mt_err_set(err, MT_ERR_PARSE, "credentials file '%s' lacks the %s", path,
                          user.ptr == NULL ? "user name" : "password");
    return store(c, user, pass, "in the credentials file", err);
}

enum mt_status mt_smtp_credentials_load(const char *path, struct mt_smtp_credentials *c,
                                        struct mt_err *err)
{
    struct mt_buf text;
    int fd = -1;

    mt_buf_init(&text, CREDENTIALS_FILE_MAX);
    enum mt_status st = open_private(path, &fd, err);
    if (st != MT_OK)
        goto out;

    st = read_all(fd, path, &text, err);
    if (st == MT_OK)
        st = parse(c, mt_buf_str(&text), path, err);

out:
    if (fd >= 0)
        close(fd);
    mt_buf_cleanup_secure(&text);
    return st;
}
