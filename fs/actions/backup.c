#include "fs/actions/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs/model/names.h"

/* <backup_dir>/<sp>/<job>, or <backup_dir>/<sp> when job is NULL (what
 * must outlive a job: the schema a resetSchema or an rmdir threw away). */
static char *job_dir(const char *backup_dir, const char *sp, const char *job)
{
    char *p = NULL;
    char *s = gs_name_safe(sp, 255), *j = job ? gs_name_safe(job, 255) : NULL;
    int r = 0;
    if (s && j)
        r = asprintf(&p, "%s/%s/%s", backup_dir, s, j);
    else if (s && !job)
        r = asprintf(&p, "%s/%s", backup_dir, s);
    if (r < 0)
        p = NULL;
    free(s);
    free(j);
    return p;
}

/* mkdir -p with mode 0700 for the directories it makes. */
static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    for (char *q = p + 1; ; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                return -e;
            }
            *q = c;
            if (!c)
                break;
        }
    }
    free(p);
    return 0;
}

int gs_backup_save(const char *backup_dir, const char *sp, const char *job, const char *what,
                   const char *data, size_t len, char **name_out)
{
    char *dir = job_dir(backup_dir, sp, job);
    if (!dir)
        return -ENOMEM;
    int r = make_dirs(dir);
    if (r < 0) {
        free(dir);
        return r;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    char *name = NULL, *path = NULL;
    int fd = -1;
    for (int i = 0; i < 100 && fd < 0; i++) {
        free(name);
        free(path);
        name = path = NULL;
        /* a second file in the same millisecond is "...Z~01.json": '~' sorts
         * after '.', so names stay in time order */
        char extra[8] = "";
        if (i)
            snprintf(extra, sizeof(extra), "~%02d", i);
        if (asprintf(&name, "%s-%s.%03ldZ%s.json", what, stamp, now.tv_nsec / 1000000, extra) < 0 ||
            asprintf(&path, "%s/%s", dir, name) < 0) {
            r = -ENOMEM;
            break;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            r = -errno;
            break;
        }
    }
    if (fd >= 0) {
        size_t off = 0;
        r = 0;
        while (off < len) {
            ssize_t w = write(fd, data + off, len - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                r = -errno;
                break;
            }
            off += (size_t)w;
        }
        if (fsync(fd) != 0 && r == 0)
            r = -errno;
        close(fd);
        if (r < 0)
            unlink(path);
    } else if (r == 0) {
        r = -EEXIST;
    }
    if (r == 0 && name_out) {
        *name_out = name;
        name = NULL;
    }
    free(name);
    free(path);
    free(dir);
    return r;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int gs_backup_list(const char *backup_dir, const char *sp, const char *job, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    char *dir = job_dir(backup_dir, sp, job);
    if (!dir)
        return -ENOMEM;
    DIR *d = opendir(dir);
    free(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    size_t cap = 0;
    struct dirent *de;
    int r = 0;
    while ((de = readdir(d))) {
        struct stat st;
        if (de->d_name[0] == '.' || !strstr(de->d_name, ".json") ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue; /* a service principal's directory also holds its jobs' */
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **v = realloc(*names, cap * sizeof(*v));
            if (!v) {
                r = -ENOMEM;
                break;
            }
            *names = v;
        }
        if (!((*names)[*n] = strdup(de->d_name))) {
            r = -ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(d);
    if (r == 0 && *n)
        qsort(*names, *n, sizeof(**names), cmp_names);
    return r;
}

void gs_backup_prune(const char *backup_dir, const char *sp, const char *job, const char *prefix,
                     size_t keep)
{
    char **names = NULL;
    size_t n = 0, matching = 0;
    char *dir = job_dir(backup_dir, sp, job);
    if (dir && gs_backup_list(backup_dir, sp, job, &names, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            matching += strncmp(names[i], prefix, strlen(prefix)) == 0;
        /* oldest first: the first (matching - keep) matching names go */
        for (size_t i = 0; i < n && matching > keep; i++) {
            if (strncmp(names[i], prefix, strlen(prefix)) != 0)
                continue;
            char *path = NULL;
            if (asprintf(&path, "%s/%s", dir, names[i]) >= 0)
                unlink(path);
            free(path);
            matching--;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(dir);
}

int gs_backup_read(const char *backup_dir, const char *sp, const char *job, const char *name,
                   struct gs_blob **out, struct timespec *mtime)
{
    if (!gs_name_is_safe(name))
        return -ENOENT;
    char *dir = job_dir(backup_dir, sp, job);
    char *path = NULL;
    if (!dir || asprintf(&path, "%s/%s", dir, name) < 0) {
        free(dir);
        return -ENOMEM;
    }
    free(dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    free(path);
    if (fd < 0)
        return -errno;
    struct stat st;
    int r = fstat(fd, &st) == 0 ? 0 : -errno;
    if (r == 0 && (st.st_size > (64 << 20) || !S_ISREG(st.st_mode)))
        r = -EFBIG;
    char *buf = r == 0 ? malloc((size_t)st.st_size + 1) : NULL;
    if (r == 0 && !buf)
        r = -ENOMEM;
    size_t got = 0;
    while (r == 0 && got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            r = k < 0 ? -errno : -EIO;
            break;
        }
        got += (size_t)k;
    }
    close(fd);
    if (r == 0) {
        *out = gs_blob_new(buf, got);
        *mtime = st.st_mtim;
        if (!*out)
            r = -ENOMEM;
    }
    free(buf);
    return r;
}

int gs_backup_has_index(const char *backup_dir, const char *sp, const char *job)
{
    char *dir = job_dir(backup_dir, sp, job);
    char *path = NULL;
    if (!dir || asprintf(&path, "%s/" GS_BACKUP_INDEX, dir) < 0)
        path = NULL;
    free(dir);
    int yes = path && access(path, F_OK) == 0;
    free(path);
    return yes;
}

/* Rewrites the index without the lines of backups that are gone. */
static int index_drop_gone(const char *dir, const char *index)
{
    FILE *in = fopen(index, "re");
    if (!in)
        return -errno;
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp", index) < 0) {
        fclose(in);
        return -ENOMEM;
    }
    FILE *out = fopen(tmp, "we");
    int r = out ? 0 : -errno;
    char line[1024];
    while (r == 0 && fgets(line, sizeof(line), in)) {
        char file[512] = "", *path = NULL;
        int keep = sscanf(line, "%*s\t%511[^\t]", file) != 1 || strcmp(file, "file") == 0;
        if (!keep && asprintf(&path, "%s/%s", dir, file) >= 0)
            keep = access(path, F_OK) == 0;
        free(path);
        if (keep)
            fputs(line, out);
    }
    fclose(in);
    if (out && fclose(out) != 0 && r == 0)
        r = -errno;
    if (r == 0 && rename(tmp, index) != 0)
        r = -errno;
    if (r < 0)
        unlink(tmp);
    free(tmp);
    return r;
}

/* Removes the oldest backups beyond keep; how many it removed, or -errno. */
static int prune(const char *backup_dir, const char *sp, const char *job, const char *dir, int keep)
{
    char **names = NULL;
    size_t n = 0;
    int r = gs_backup_list(backup_dir, sp, job, &names, &n);
    size_t removed = 0;
    /* refused saves have a limit of their own (gs_backup_prune) */
    size_t kept = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        if (strncmp(names[i], GS_REFUSED_PREFIX, strlen(GS_REFUSED_PREFIX)) == 0)
            free(names[i]);
        else
            names[kept++] = names[i];
    }
    n = r == 0 ? kept : n;
    /* names sort by their UTC stamps: the oldest come first */
    for (size_t i = 0; r == 0 && keep > 0 && n > (size_t)keep && i < n - (size_t)keep; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, names[i]) >= 0 && unlink(path) == 0)
            removed++;
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r < 0 ? r : (int)removed;
}

/* One note at a time: a prune rewrites index.tsv, and a line appended
 * meanwhile by another save would be lost. Held across file I/O only. */
static pthread_mutex_t note_lock = PTHREAD_MUTEX_INITIALIZER;

static int note_locked(const char *backup_dir, const char *sp, const char *job, const char *name,
                       unsigned uid, int pid, int keep);

int gs_backup_note(const char *backup_dir, const char *sp, const char *job, const char *name,
                   unsigned uid, int pid, int keep)
{
    pthread_mutex_lock(&note_lock);
    int r = note_locked(backup_dir, sp, job, name, uid, pid, keep);
    pthread_mutex_unlock(&note_lock);
    return r;
}

static int note_locked(const char *backup_dir, const char *sp, const char *job, const char *name,
                       unsigned uid, int pid, int keep)
{
    char *dir = job_dir(backup_dir, sp, job);
    char *index = NULL;
    if (!dir || asprintf(&index, "%s/" GS_BACKUP_INDEX, dir) < 0) {
        free(dir);
        return -ENOMEM;
    }
    int fresh = access(index, F_OK) != 0;
    int fd = open(index, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int r = fd < 0 ? -errno : 0;
    if (r == 0) {
        char stamp[32], line[768];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        int len = snprintf(line, sizeof(line), "%s%s\t%s\t%u\t%d\n", fresh ? GS_BACKUP_INDEX_HEADER : "",
                           stamp, name, uid, pid);
        /* one write with O_APPEND: concurrent saves never interleave lines */
        if (len > 0 && write(fd, line, (size_t)len) != len)
            r = -EIO;
        close(fd);
    }
    if (r == 0 && keep > 0) {
        r = prune(backup_dir, sp, job, dir, keep);
        if (r > 0)
            r = index_drop_gone(dir, index);
    }
    free(index);
    free(dir);
    return r;
}
