use refine_core::target::{ConfigureTargetInput, TargetInput};

use crate::registry::{decl as d, Method, OpDef, OpKind};

pub(crate) fn ops() -> Vec<OpDef> {
    use Method::*;
    let m = OpKind::Mutation;
    vec![
        d("target.get", Get, "/api/v1/target", "The app's lifecycle: commands (suggested or edited), status (stopped/running/healthy/failing, from the daemon's last health probe), last build and test.", true)
            .query(|core, ctx, i: TargetInput| async move { core.target_state(&ctx, i).await }),
        d("target.check", Post, "/api/v1/target/check", "Probe the running app's health now (its health URL or command) and answer its state.", true)
            .mutation(m, |core, ctx, i: TargetInput| async move { core.target_check(&ctx, i).await }),
        d("target.configure", Patch, "/api/v1/target", "Edit the start/stop/build/test commands and the health check (revision-fenced; null clears).", false)
            .mutation(m, |core, ctx, i: ConfigureTargetInput| async move { core.configure_target(&ctx, i).await }),
        d("target.start", Post, "/api/v1/target/start", "Start the app's dev server as a supervised process.", true)
            .mutation(m, |core, ctx, i: TargetInput| async move { core.target_start(&ctx, i).await }),
        d("target.stop", Post, "/api/v1/target/stop", "Stop the app (its stop command, else its process group).", true)
            .mutation(m, |core, ctx, i: TargetInput| async move { core.target_stop(&ctx, i).await }),
        d("target.build", Post, "/api/v1/target/build", "Run the app's build command as a supervised process.", true)
            .mutation(m, |core, ctx, i: TargetInput| async move { core.target_build(&ctx, i).await }),
        d("target.test", Post, "/api/v1/target/test", "Run the app's test command as a supervised process.", true)
            .mutation(m, |core, ctx, i: TargetInput| async move { core.target_test(&ctx, i).await }),
    ]
}
