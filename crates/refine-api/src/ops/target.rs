//! The app's own lifecycle.

use refine_core::target::{ConfigureTargetInput, Lifecycle, TargetInput, TargetState};
use refine_model::process::ProcessInfo;

use crate::registry::{Method::*, Op, OpDef};

pub const GET: Op<TargetInput, TargetState> = Op::query(
    "target.get",
    Get,
    "/api/v1/target",
    "The app's lifecycle: commands (suggested or edited), status (stopped/running/healthy/failing, from the daemon's last health probe), last build and test.",
    true,
);

pub const CHECK: Op<TargetInput, TargetState> = Op::mutation(
    "target.check",
    Post,
    "/api/v1/target/check",
    "Probe the running app's health now (its health URL or command) and answer its state.",
    true,
);

pub const CONFIGURE: Op<ConfigureTargetInput, Lifecycle> = Op::mutation(
    "target.configure",
    Patch,
    "/api/v1/target",
    "Edit the start/stop/build/test commands and the health check (revision-fenced; null clears).",
    false,
);

pub const START: Op<TargetInput, ProcessInfo> = Op::mutation(
    "target.start",
    Post,
    "/api/v1/target/start",
    "Start the app's dev server as a supervised process.",
    true,
);

pub const STOP: Op<TargetInput, ProcessInfo> = Op::mutation(
    "target.stop",
    Post,
    "/api/v1/target/stop",
    "Stop the app (its stop command, else its process group).",
    true,
);

pub const BUILD: Op<TargetInput, ProcessInfo> = Op::mutation(
    "target.build",
    Post,
    "/api/v1/target/build",
    "Run the app's build command as a supervised process.",
    true,
);

pub const TEST: Op<TargetInput, ProcessInfo> = Op::mutation(
    "target.test",
    Post,
    "/api/v1/target/test",
    "Run the app's test command as a supervised process.",
    true,
);

pub(crate) fn ops() -> Vec<OpDef> {
    vec![
        GET.handle(|core, ctx, i| async move { core.target_get(&ctx, i).await }),
        CHECK.handle(|core, ctx, i| async move { core.target_check(&ctx, i).await }),
        CONFIGURE.handle(|core, ctx, i| async move { core.target_configure(&ctx, i).await }),
        START.handle(|core, ctx, i| async move { core.target_start(&ctx, i).await }),
        STOP.handle(|core, ctx, i| async move { core.target_stop(&ctx, i).await }),
        BUILD.handle(|core, ctx, i| async move { core.target_build(&ctx, i).await }),
        TEST.handle(|core, ctx, i| async move { core.target_test(&ctx, i).await }),
    ]
}
