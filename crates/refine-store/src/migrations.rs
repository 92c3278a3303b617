//! Embedded forward-only migrations. A released migration is never edited; add a new one.

use rusqlite::Connection;

use crate::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    // 1: foundation
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE apps (
        id             TEXT PRIMARY KEY,
        name           TEXT NOT NULL,
        path           TEXT NOT NULL UNIQUE,
        default_branch TEXT,
        shape          TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
    );
    CREATE TABLE settings_layers (
        scope    TEXT PRIMARY KEY,              -- 'global' or 'app:<id>'
        app_id   TEXT REFERENCES apps(id) ON DELETE CASCADE,
        doc      TEXT NOT NULL,                 -- partial settings object (JSON)
        revision INTEGER NOT NULL
    );
    CREATE TABLE operations (
        id              TEXT PRIMARY KEY,
        kind            TEXT NOT NULL,
        status          TEXT NOT NULL,
        progress        INTEGER NOT NULL DEFAULT 0,
        message         TEXT,
        input           TEXT,
        result          TEXT,
        error           TEXT,
        idempotency_key TEXT,
        app_id          TEXT,
        actor           TEXT NOT NULL,
        surface         TEXT NOT NULL,
        instance        TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        finished_at     TEXT
    );
    CREATE INDEX operations_created ON operations(created_at);
    CREATE INDEX operations_status ON operations(status);
    CREATE TABLE activity (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        surface      TEXT NOT NULL,
        operation    TEXT NOT NULL,
        app_id       TEXT,
        target       TEXT,
        summary      TEXT NOT NULL,
        operation_id TEXT,
        data         TEXT
    );
    CREATE INDEX activity_app ON activity(app_id, seq);
    CREATE INDEX activity_at ON activity(at);
    CREATE TABLE idempotency (
        key          TEXT PRIMARY KEY,
        operation    TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state        TEXT NOT NULL,             -- 'running' or 'done'
        status       INTEGER,
        response     TEXT,
        instance     TEXT NOT NULL,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX idempotency_created ON idempotency(created_at);
    "#,
    // 2: work and workflow
    r#"
    CREATE TABLE reporters (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        removed_at  TEXT,
        merged_into TEXT
    );
    CREATE UNIQUE INDEX reporters_live_name ON reporters(name) WHERE removed_at IS NULL;
    CREATE TABLE todos (
        id          TEXT PRIMARY KEY,
        reporter_id TEXT NOT NULL REFERENCES reporters(id) ON DELETE CASCADE,
        text        TEXT NOT NULL,
        done        INTEGER NOT NULL DEFAULT 0,
        position    INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX todos_reporter ON todos(reporter_id, position);
    CREATE TABLE features (
        id          TEXT PRIMARY KEY,
        app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        name        TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE INDEX features_app ON features(app_id, name);
    CREATE TABLE goals (
        id          TEXT PRIMARY KEY,
        app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        number      INTEGER NOT NULL,
        title       TEXT NOT NULL,
        prompt      TEXT NOT NULL DEFAULT '',
        notes       TEXT NOT NULL DEFAULT '',
        status      TEXT NOT NULL,
        priority    INTEGER NOT NULL DEFAULT 0,
        reporter_id TEXT REFERENCES reporters(id),
        assignee    TEXT,
        feature_id  TEXT REFERENCES features(id) ON DELETE SET NULL,
        position    INTEGER,
        node_id     TEXT NOT NULL,
        labels      TEXT NOT NULL DEFAULT '[]',
        ext_source  TEXT,
        ext_id      TEXT,
        ext_url     TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        deleted_at  TEXT,
        UNIQUE (app_id, number)
    );
    CREATE UNIQUE INDEX goals_external ON goals(app_id, ext_source, ext_id) WHERE ext_source IS NOT NULL;
    CREATE INDEX goals_priority ON goals(app_id, priority DESC, number);
    CREATE INDEX goals_status ON goals(app_id, status);
    CREATE INDEX goals_feature ON goals(feature_id, position);
    CREATE INDEX goals_created ON goals(app_id, created_at);
    CREATE INDEX goals_updated ON goals(app_id, updated_at);
    CREATE TABLE goal_labels (
        goal_id TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        label   TEXT NOT NULL,
        PRIMARY KEY (goal_id, label)
    ) WITHOUT ROWID;
    CREATE INDEX goal_labels_label ON goal_labels(label);
    CREATE TABLE rounds (
        goal_id    TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        number     INTEGER NOT NULL,
        request    TEXT NOT NULL,
        plan       TEXT,
        outcome    TEXT,
        evidence   TEXT NOT NULL DEFAULT '[]',
        started_at TEXT NOT NULL,
        ended_at   TEXT,
        PRIMARY KEY (goal_id, number)
    ) WITHOUT ROWID;
    CREATE TABLE goal_transitions (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        goal_id     TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        app_id      TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL
    );
    CREATE INDEX goal_transitions_goal ON goal_transitions(goal_id, seq);
    CREATE INDEX goal_transitions_to ON goal_transitions(app_id, to_status, at);
    CREATE VIRTUAL TABLE goals_fts USING fts5(title, prompt, notes, content='goals', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
    CREATE TRIGGER goals_fts_insert AFTER INSERT ON goals BEGIN
        INSERT INTO goals_fts(rowid, title, prompt, notes) VALUES (new.rowid, new.title, new.prompt, new.notes);
    END;
    CREATE TRIGGER goals_fts_delete AFTER DELETE ON goals BEGIN
        INSERT INTO goals_fts(goals_fts, rowid, title, prompt, notes) VALUES ('delete', old.rowid, old.title, old.prompt, old.notes);
    END;
    CREATE TRIGGER goals_fts_update AFTER UPDATE OF title, prompt, notes ON goals BEGIN
        INSERT INTO goals_fts(goals_fts, rowid, title, prompt, notes) VALUES ('delete', old.rowid, old.title, old.prompt, old.notes);
        INSERT INTO goals_fts(rowid, title, prompt, notes) VALUES (new.rowid, new.title, new.prompt, new.notes);
    END;
    "#,
    // 3: supervised processes
    r#"
    CREATE TABLE processes (
        id          TEXT PRIMARY KEY,
        app_id      TEXT NOT NULL,
        argv        TEXT NOT NULL,
        cwd         TEXT NOT NULL,
        env_keys    TEXT NOT NULL,
        label       TEXT,
        owner       TEXT NOT NULL,
        status      TEXT NOT NULL,
        pid         INTEGER,
        pgid        INTEGER,
        start_ticks INTEGER,
        instance    TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        ended_at    TEXT,
        exit_code   INTEGER,
        signal      INTEGER,
        error       TEXT
    );
    CREATE INDEX processes_app ON processes(app_id, started_at);
    CREATE INDEX processes_status ON processes(status);
    "#,
    // 4: covering indexes of live (not deleted) goals: counts and status pages without
    // reading the table.
    r#"
    CREATE INDEX goals_live ON goals(app_id, priority DESC, number) WHERE deleted_at IS NULL;
    CREATE INDEX goals_live_status ON goals(app_id, status, priority DESC, number) WHERE deleted_at IS NULL;
    "#,
    // 5: target-app lifecycle commands (edited; absent = suggested from the app's shape)
    r#"
    CREATE TABLE app_lifecycle (
        app_id   TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        config   TEXT NOT NULL,
        revision INTEGER NOT NULL
    );
    "#,
    // 6: agents (profiles, runs), what the automation records per Round, quality, governance,
    // guidance and chat.
    r#"
    CREATE TABLE agent_profiles (
        name       TEXT PRIMARY KEY,
        spec       TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE agent_runs (
        id          TEXT PRIMARY KEY,
        app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        goal_id     TEXT REFERENCES goals(id) ON DELETE CASCADE,
        round       INTEGER,
        phase       TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        profile     TEXT NOT NULL,
        process_id  TEXT,
        status      TEXT NOT NULL,
        result      TEXT,
        error       TEXT,
        started_at  TEXT NOT NULL,
        ended_at    TEXT
    );
    CREATE INDEX agent_runs_goal ON agent_runs(goal_id, round, started_at);
    ALTER TABLE rounds ADD COLUMN work TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE quality_settings (
        app_id       TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        tests        TEXT NOT NULL DEFAULT '[]',
        instructions TEXT NOT NULL DEFAULT '',
        revision     INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE quality_evaluations (
        id          TEXT PRIMARY KEY,
        app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        goal_id     TEXT REFERENCES goals(id) ON DELETE CASCADE,
        round       INTEGER,
        commit_sha  TEXT,
        trigger     TEXT NOT NULL,
        passed      INTEGER,
        checks      TEXT NOT NULL DEFAULT '[]',
        error       TEXT,
        started_at  TEXT NOT NULL,
        ended_at    TEXT
    );
    CREATE INDEX quality_evaluations_app ON quality_evaluations(app_id, started_at);
    CREATE TABLE governance (
        app_id       TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        statement    TEXT NOT NULL DEFAULT '',
        constitution TEXT NOT NULL DEFAULT '',
        revision     INTEGER NOT NULL DEFAULT 0,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE governance_rules (
        id         TEXT PRIMARY KEY,
        app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX governance_rules_app ON governance_rules(app_id, position);
    CREATE TABLE guidance (
        id         TEXT PRIMARY KEY,
        app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        position   INTEGER NOT NULL,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL DEFAULT '',
        enabled    INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX guidance_app ON guidance(app_id, position);
    CREATE TABLE guidance_revision (
        app_id   TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
        revision INTEGER NOT NULL
    );
    CREATE TABLE chat_threads (
        id         TEXT PRIMARY KEY,
        app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        kind       TEXT NOT NULL,
        goal_id    TEXT REFERENCES goals(id) ON DELETE SET NULL,
        title      TEXT NOT NULL,
        profile    TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX chat_threads_app ON chat_threads(app_id, updated_at);
    CREATE TABLE chat_messages (
        id         TEXT PRIMARY KEY,
        thread_id  TEXT NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        role       TEXT NOT NULL,
        content    TEXT NOT NULL,
        status     TEXT NOT NULL,
        run_id     TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (thread_id, seq)
    );
    "#,
    // 7: browser sessions (the browser never holds the data dir's token; it holds one of these,
    // stored here only as a hash)
    r#"
    CREATE TABLE browser_sessions (
        id           TEXT PRIMARY KEY,
        secret_hash  TEXT NOT NULL UNIQUE,
        label        TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_used_at TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        revoked_at   TEXT
    );
    "#,
    // 8: real agent CLIs: the provider session, usage and cost of each run; its transcript
    r#"
    ALTER TABLE agent_runs ADD COLUMN provider TEXT;
    ALTER TABLE agent_runs ADD COLUMN session_id TEXT;
    ALTER TABLE agent_runs ADD COLUMN model TEXT;
    ALTER TABLE agent_runs ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agent_runs ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agent_runs ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agent_runs ADD COLUMN cost_usd REAL;
    ALTER TABLE agent_runs ADD COLUMN turns INTEGER;
    ALTER TABLE agent_runs ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agent_runs ADD COLUMN denials INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE agent_runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';
    CREATE INDEX agent_runs_app_day ON agent_runs(app_id, started_at);
    CREATE TABLE agent_transcript (
        run_id TEXT NOT NULL REFERENCES agent_runs(id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        at     TEXT NOT NULL,
        kind   TEXT NOT NULL,
        item   TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    "#,
    // 9: review comments on a Round's candidate
    r#"
    CREATE TABLE review_comments (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        goal_id     TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        round       INTEGER NOT NULL,
        commit_sha  TEXT NOT NULL,
        author      TEXT NOT NULL,
        path        TEXT,
        side        TEXT,
        start_line  INTEGER,
        end_line    INTEGER,
        hunk        TEXT,
        quote       TEXT,
        body        TEXT NOT NULL,
        status      TEXT NOT NULL,
        sent_round  INTEGER,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        resolved_at TEXT,
        resolved_by TEXT
    );
    CREATE INDEX review_comments_goal ON review_comments(goal_id, round, id);
    "#,
    // 10: webhooks and their deliveries
    r#"
    CREATE TABLE webhooks (
        id         TEXT PRIMARY KEY,
        app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
        url        TEXT NOT NULL,
        events     TEXT NOT NULL,
        secret     TEXT NOT NULL,
        allow_http INTEGER NOT NULL,
        enabled    INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX webhooks_app ON webhooks(app_id);
    CREATE TABLE webhook_deliveries (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        webhook_id    TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id      TEXT NOT NULL,
        event_kind    TEXT NOT NULL,
        payload       TEXT NOT NULL,
        status        TEXT NOT NULL,
        attempts      INTEGER NOT NULL,
        response_code INTEGER,
        error         TEXT,
        next_at       TEXT,
        created_at    TEXT NOT NULL,
        delivered_at  TEXT
    );
    CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_at);
    "#,
    // 11: best-of-N — how many candidates a Goal's Rounds implement (NULL: the app's setting).
    r#"
    ALTER TABLE goals ADD COLUMN candidates INTEGER;
    ALTER TABLE agent_runs ADD COLUMN candidate INTEGER;
    "#,
    // 12: live Goal counts per app, Feature and status, kept by triggers inside the same
    // transaction as the change (the dashboard and Feature progress read them, not the goals);
    // two indexes the partial live ones made redundant go (fewer pages written per Goal), and
    // the attention lists (failed, review by age) get theirs.
    r#"
    CREATE TABLE goal_counts (
        app_id     TEXT NOT NULL,
        feature_id TEXT NOT NULL,
        status     TEXT NOT NULL,
        n          INTEGER NOT NULL,
        PRIMARY KEY (app_id, feature_id, status)
    ) WITHOUT ROWID;
    INSERT INTO goal_counts(app_id, feature_id, status, n)
        SELECT app_id, COALESCE(feature_id, ''), status, COUNT(*) FROM goals
        WHERE deleted_at IS NULL GROUP BY 1, 2, 3;
    CREATE TRIGGER goal_counts_insert AFTER INSERT ON goals WHEN NEW.deleted_at IS NULL BEGIN
        INSERT INTO goal_counts(app_id, feature_id, status, n)
            VALUES (NEW.app_id, COALESCE(NEW.feature_id, ''), NEW.status, 1)
            ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER goal_counts_delete AFTER DELETE ON goals WHEN OLD.deleted_at IS NULL BEGIN
        UPDATE goal_counts SET n = n - 1
            WHERE app_id = OLD.app_id AND feature_id = COALESCE(OLD.feature_id, '') AND status = OLD.status;
    END;
    CREATE TRIGGER goal_counts_update AFTER UPDATE OF status, feature_id, deleted_at ON goals
        WHEN OLD.status IS NOT NEW.status OR OLD.feature_id IS NOT NEW.feature_id
            OR OLD.deleted_at IS NOT NEW.deleted_at
    BEGIN
        UPDATE goal_counts SET n = n - 1
            WHERE OLD.deleted_at IS NULL AND app_id = OLD.app_id
              AND feature_id = COALESCE(OLD.feature_id, '') AND status = OLD.status;
        INSERT INTO goal_counts(app_id, feature_id, status, n)
            SELECT NEW.app_id, COALESCE(NEW.feature_id, ''), NEW.status, 1 WHERE NEW.deleted_at IS NULL
            ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    DROP INDEX goals_priority;
    DROP INDEX goals_status;
    CREATE INDEX goals_live_attention ON goals(app_id, status, updated_at) WHERE deleted_at IS NULL;
    DROP INDEX operations_status;
    CREATE INDEX operations_running ON operations(instance) WHERE status = 'running';
    "#,
    // 13: nodes. A Goal may be pinned to one node; the nodes this one has heard of (itself, and
    // in a cluster the others' announcements) with when each was last heard from.
    r#"
    ALTER TABLE goals ADD COLUMN pinned_node TEXT;
    CREATE INDEX goals_pinned ON goals(app_id, pinned_node) WHERE pinned_node IS NOT NULL AND deleted_at IS NULL;
    CREATE TABLE nodes (
        id          TEXT PRIMARY KEY,
        info        TEXT NOT NULL,
        last_seen   TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 14: a label filter reads its own index. Each label row carries what a Goals page filters
    // and sorts by (app, whether the Goal is live, status, priority, number), kept by a trigger,
    // so "todo Goals labelled area-4, by priority" is one index range instead of every todo Goal
    // checked against the label's members.
    r#"
    CREATE TABLE goal_labels_new (
        goal_id  TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        label    TEXT NOT NULL,
        app_id   TEXT NOT NULL,
        live     INTEGER NOT NULL,
        status   TEXT NOT NULL,
        priority INTEGER NOT NULL,
        number   INTEGER NOT NULL,
        PRIMARY KEY (goal_id, label)
    ) WITHOUT ROWID;
    INSERT INTO goal_labels_new(goal_id, label, app_id, live, status, priority, number)
        SELECT gl.goal_id, gl.label, g.app_id, g.deleted_at IS NULL, g.status, g.priority, g.number
        FROM goal_labels gl JOIN goals g ON g.id = gl.goal_id;
    DROP TABLE goal_labels;
    ALTER TABLE goal_labels_new RENAME TO goal_labels;
    CREATE INDEX goal_labels_page ON goal_labels(app_id, label, live, status, priority DESC, number);
    CREATE TRIGGER goal_labels_follow AFTER UPDATE OF status, priority, number, deleted_at ON goals
        WHEN OLD.status IS NOT NEW.status OR OLD.priority IS NOT NEW.priority
          OR OLD.number IS NOT NEW.number OR (OLD.deleted_at IS NULL) IS NOT (NEW.deleted_at IS NULL)
    BEGIN
        UPDATE goal_labels SET live = NEW.deleted_at IS NULL, status = NEW.status,
            priority = NEW.priority, number = NEW.number
        WHERE goal_id = NEW.id;
    END;
    "#,
    // 15: fewer B-trees written per mutation (each is a page of the log per commit). The
    // journal of operations is listed in the order its rows were inserted (their rowid), so its
    // time index goes; the activity and transition logs number their rows without
    // AUTOINCREMENT (no `sqlite_sequence` row rewritten by every write: neither log deletes its
    // newest rows, so numbers still only grow), and activity ids, made unique by construction
    // and never looked up, lose their unique index.
    r#"
    DROP INDEX operations_created;
    CREATE TABLE activity_new (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL,
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        surface      TEXT NOT NULL,
        operation    TEXT NOT NULL,
        app_id       TEXT,
        target       TEXT,
        summary      TEXT NOT NULL,
        operation_id TEXT,
        data         TEXT
    );
    INSERT INTO activity_new(seq, id, at, actor, surface, operation, app_id, target, summary, operation_id, data)
        SELECT seq, id, at, actor, surface, operation, app_id, target, summary, operation_id, data FROM activity;
    DROP TABLE activity;
    ALTER TABLE activity_new RENAME TO activity;
    CREATE INDEX activity_app ON activity(app_id, seq);
    CREATE INDEX activity_at ON activity(at);
    CREATE TABLE goal_transitions_new (
        seq         INTEGER PRIMARY KEY,
        goal_id     TEXT NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
        app_id      TEXT NOT NULL,
        from_status TEXT,
        to_status   TEXT NOT NULL,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL
    );
    INSERT INTO goal_transitions_new(seq, goal_id, app_id, from_status, to_status, at, actor)
        SELECT seq, goal_id, app_id, from_status, to_status, at, actor FROM goal_transitions;
    DROP TABLE goal_transitions;
    ALTER TABLE goal_transitions_new RENAME TO goal_transitions;
    CREATE INDEX goal_transitions_goal ON goal_transitions(goal_id, seq);
    CREATE INDEX goal_transitions_to ON goal_transitions(app_id, to_status, at);
    "#,
    // 16: each Goal and Feature write gets the app's next change number, in commit order (a
    // trigger, so no writer can miss it). A node in a cluster publishes what changed after the
    // last number it published: an `updated_at` cursor missed writes that committed after a
    // newer-stamped one (the stamp is taken before the write waits its turn).
    r#"
    ALTER TABLE goals ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE features ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX goals_changes ON goals(app_id, change_seq);
    CREATE INDEX features_changes ON features(app_id, change_seq);
    CREATE TRIGGER goals_change_insert AFTER INSERT ON goals BEGIN
        UPDATE goals SET change_seq =
            (SELECT MAX(change_seq) + 1 FROM goals WHERE app_id = NEW.app_id)
        WHERE id = NEW.id;
    END;
    CREATE TRIGGER goals_change_update AFTER UPDATE OF updated_at ON goals BEGIN
        UPDATE goals SET change_seq =
            (SELECT MAX(change_seq) + 1 FROM goals WHERE app_id = NEW.app_id)
        WHERE id = NEW.id;
    END;
    CREATE TRIGGER features_change_insert AFTER INSERT ON features BEGIN
        UPDATE features SET change_seq =
            (SELECT MAX(change_seq) + 1 FROM features WHERE app_id = NEW.app_id)
        WHERE id = NEW.id;
    END;
    CREATE TRIGGER features_change_update AFTER UPDATE OF updated_at ON features BEGIN
        UPDATE features SET change_seq =
            (SELECT MAX(change_seq) + 1 FROM features WHERE app_id = NEW.app_id)
        WHERE id = NEW.id;
    END;
    "#,
];

/// The newest schema version this build knows.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

pub(crate) fn run(conn: &Connection) -> Result<()> {
    run_to(conn, LATEST)
}

/// A database file at `path` with the schema of an earlier `version` (as that release left
/// it): fixtures for tests of upgrades.
pub fn create_at(path: &std::path::Path, version: i64) -> Result<()> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    run_to(&conn, version.clamp(0, LATEST))
}

fn run_to(conn: &Connection, target: i64) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST {
        return Err(StoreError::TooNew {
            found: current,
            supported: LATEST,
        });
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(current as usize)
        .take((target - current).max(0) as usize)
    {
        let version = i as i64 + 1;
        tracing::info!(version, "applying database migration");
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(c: &Connection, sql: &str) -> i64 {
        c.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn the_logs_keep_their_rows_and_numbers_without_autoincrement() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        create_at(&db, 14).unwrap();
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO apps(id, name, path, shape, created_at, updated_at) VALUES ('a1', 'a', '/a', '{}', 't', 't');
             INSERT INTO goals(id, app_id, number, title, status, node_id, created_at, updated_at) VALUES ('g1', 'a1', 1, 'G', 'todo', 'n', 't', 't');
             INSERT INTO goal_transitions(goal_id, app_id, to_status, at, actor) VALUES ('g1', 'a1', 'todo', 't1', 'me'), ('g1', 'a1', 'running', 't2', 'me');
             INSERT INTO activity(id, at, actor, surface, operation, summary) VALUES ('x1', 't1', 'me', 'cli', 'goals.create', 'one'), ('x2', 't2', 'me', 'cli', 'goals.update', 'two');
             INSERT INTO operations(id, kind, status, actor, surface, instance, created_at, updated_at) VALUES ('o1', 'k', 'succeeded', 'me', 'cli', 'i', 't', 't');",
        )
        .unwrap();
        run(&c).unwrap();
        assert_eq!(count(&c, "PRAGMA user_version"), LATEST);
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM goal_transitions WHERE goal_id = 'g1'"
            ),
            2
        );
        assert_eq!(count(&c, "SELECT MAX(seq) FROM activity"), 2);
        assert_eq!(count(&c, "SELECT COUNT(*) FROM operations"), 1);
        // New rows number on from the old ones; nothing is kept in sqlite_sequence.
        c.execute_batch(
            "INSERT INTO activity(id, at, actor, surface, operation, summary) VALUES ('x3', 't3', 'me', 'cli', 'goals.update', 'three');
             INSERT INTO goal_transitions(goal_id, app_id, from_status, to_status, at, actor) VALUES ('g1', 'a1', 'running', 'review', 't3', 'me');",
        )
        .unwrap();
        assert_eq!(count(&c, "SELECT seq FROM activity WHERE id = 'x3'"), 3);
        assert_eq!(count(&c, "SELECT MAX(seq) FROM goal_transitions"), 3);
        assert_eq!(
            count(
                &c,
                "SELECT COUNT(*) FROM sqlite_sequence WHERE name IN ('activity', 'goal_transitions')"
            ),
            0
        );
        // The transitions still go with their Goal.
        c.execute_batch("PRAGMA foreign_keys = ON; DELETE FROM goals WHERE id = 'g1';")
            .unwrap();
        assert_eq!(count(&c, "SELECT COUNT(*) FROM goal_transitions"), 0);
        assert_eq!(
            c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
                .unwrap(),
            "ok"
        );
    }
}
