//! `cargo xtask quickstart`: the demo. Builds the providers and the simulator, starts the simulator
//! on a free loopback port, installs the providers into a project-local mirror with a CLI
//! configuration of its own, and runs `examples/quickstart` through terraform: init, apply, the
//! outputs a vendor is handed, drift detection, re-apply, destroy.

use std::path::{Path, PathBuf};
use std::time::Instant;

use devkit::terraform::{Terraform, TfOutput};
use devkit::{SimProcess, mirror};

use crate::install;
use crate::util::{self, Result, Step};

/// The quickstart's environment for the simulator's seeded admins: the providers' variables (the
/// configuration's provider blocks are empty, and its hand-off URL comes from `data.jamf_server`).
fn sim_env(sim: &SimProcess) -> Vec<(&'static str, String)> {
    sim.provider_env()
}

/// Call the simulator's control surface (`/_sim/...`), standing in for a portal user.
fn control(sim: &SimProcess, method: &str, path: &str, body: serde_json::Value) -> Result<serde_json::Value> {
    sim.control_blocking(method, path, Some(body))
}

/// Terraform in the quickstart's working directory with its own CLI configuration.
struct Tf {
    terraform: Terraform,
    work: PathBuf,
    cli_config: PathBuf,
}

impl Tf {
    /// Run and require an exit code in `ok`, else fail with terraform's output.
    fn expect(&self, args: &[&str], ok: &[i32], sim: &SimProcess) -> Result<TfOutput> {
        self.terraform
            .expect_blocking(&self.work, &self.cli_config, args, ok)
            .map_err(|e| format!("{e}\n(simulator log: {})", sim.log().display()))
    }

    /// `terraform output -raw name`.
    fn output(&self, name: &str, sim: &SimProcess) -> Result<String> {
        Ok(self.expect(&["output", "-raw", name], &[0], sim)?.stdout)
    }
}

fn copy_example(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
    }
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "tf") {
            std::fs::copy(&p, to.join(e.file_name())).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Lines of a plan that show what changed, for the drift step.
fn changed_lines(plan: &str) -> Vec<&str> {
    plan.lines()
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with('~')
                || t.starts_with("+ ")
                || t.starts_with("- ")
                || t.starts_with('#')
                || t.starts_with("Plan:")
        })
        .collect()
}

pub fn run(keep: bool) -> Result<()> {
    let started = Instant::now();
    let terraform = util::terraform()?;
    println!("Quickstart: both providers through real terraform against the bundled simulator\n");

    let step = Step::start("build providers and simulator (release)");
    let release = util::build_release()?;
    step.done();

    let dir = util::target_dir().join("quickstart");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let step = Step::start("start the simulator on a free loopback port");
    let mut sim = SimProcess::start(&release.join(util::exe("mdm-sim")), &[], &dir.join("mdm-sim.log"))
        .map_err(|e| e.to_string())?;
    step.done_with(&sim.url());

    let step = Step::start("install providers into a project-local mirror");
    let plugins = dir.join("plugins");
    install::install_into(&release, &plugins)?;
    let cli_config = dir.join("terraformrc");
    mirror::write_cli_config(&cli_config, &plugins).map_err(|e| e.to_string())?;
    let work = dir.join("work");
    copy_example(&util::root().join("examples/quickstart"), &work)?;
    step.done();

    let mut terraform = Terraform::new(terraform);
    terraform.env.extend(sim_env(&sim).into_iter().map(|(k, v)| (k.to_string(), v)));
    let tf = Tf { terraform, work: work.clone(), cli_config: cli_config.clone() };

    let step = Step::start("terraform init");
    tf.expect(&["init", "-input=false"], &[0], &sim)?;
    step.done();

    let step = Step::start("terraform apply (role, client, secret, script user)");
    let applied = tf.expect(&["apply", "-auto-approve", "-input=false"], &[0], &sim)?;
    step.done();
    if let Some(w) = applied.combined().lines().find(|l| l.contains("created: finish it in the MaaS360 portal")) {
        println!("      warning shown by the provider: {}", w.trim_start_matches(['│', ' ', '╷']).trim());
    }

    let out = |name: &str| tf.output(name, &sim);
    println!("\n  Handed to the vendor:");
    println!("    Jamf Pro URL   {}", out("jamf_url")?);
    println!("    client ID      {}", out("client_id")?);
    println!("    client secret  {}", out("client_secret")?);
    println!("                   (as `terraform output -raw client_secret` gives it: hand it over a secure channel;");
    println!("                    Jamf Pro shows a secret only once, so it lives only in your state)");
    println!("    MaaS360 account {} / API user {}\n", out("maas360_billing_id")?, out("maas360_api_username")?);

    let step = Step::start("portal steps for the script user (simulated)");
    let user = out("maas360_api_username")?;
    let password = "Quickstart-Pass-1";
    control(
        &sim,
        "POST",
        &format!("/_sim/maas360/admins/{user}/set-password"),
        serde_json::json!({"password": password}),
    )?;
    control(&sim, "POST", &format!("/_sim/maas360/admins/{user}/convert-to-script-only"), serde_json::json!({}))?;
    step.done();

    let step = Step::start("terraform apply (verify the script user's API sign-in)");
    let mut verify = Tf { terraform: tf.terraform.clone(), work: work.clone(), cli_config: cli_config.clone() };
    verify.terraform.env.insert("TF_VAR_script_user_password".into(), password.to_string());
    verify.terraform.env.insert("TF_VAR_script_user_password_version".into(), "1".to_string());
    verify.expect(&["apply", "-auto-approve", "-input=false"], &[0], &sim)?;
    let verified = verify.output("maas360_api_access_verified", &sim)?;
    step.done_with(&format!("api_access_verified = {verified}"));

    let step = Step::start("drift: someone edits the role in the Jamf Pro UI");
    let role_id = out("role_id")?;
    control(
        &sim,
        "PATCH",
        &format!("/_sim/jamf/roles/{role_id}"),
        serde_json::json!({"privileges": ["Read Computers", "Delete Computers"]}),
    )?;
    step.done();

    let step = Step::start("terraform plan shows the drift");
    let plan = verify.expect(&["plan", "-detailed-exitcode", "-input=false"], &[2], &sim)?;
    step.done_with("exit code 2: changes");
    for l in changed_lines(&plan.stdout) {
        println!("      {l}");
    }

    let step = Step::start("terraform apply restores the declared privileges");
    verify.expect(&["apply", "-auto-approve", "-input=false"], &[0], &sim)?;
    step.done();

    let step = Step::start("terraform plan is clean again");
    verify.expect(&["plan", "-detailed-exitcode", "-input=false"], &[0], &sim)?;
    step.done_with("exit code 0: no changes");

    if keep {
        let pid = sim.detach();
        println!(
            "\nThe simulator keeps running (pid {}), with the applied configuration in {}.",
            pid.unwrap_or(0),
            work.display()
        );
        println!("To run terraform by hand:\n");
        println!("  cd {}", work.display());
        println!("  export TF_CLI_CONFIG_FILE={}", cli_config.display());
        for (k, v) in sim_env(&sim) {
            println!("  export {k}={v}");
        }
        println!("  terraform plan\n\nStop the simulator with: kill {}", pid.unwrap_or(0));
        println!("\nquickstart finished in {:.1}s", started.elapsed().as_secs_f64());
        return Ok(());
    }

    let step = Step::start("terraform destroy");
    let destroyed = verify.expect(&["destroy", "-auto-approve", "-input=false"], &[0], &sim)?;
    step.done();
    if destroyed.combined().contains("still exists in MaaS360") {
        println!("      (the provider reminds you to remove the MaaS360 account in the portal: no API can)");
    }

    let step = Step::start("stop the simulator");
    sim.stop();
    step.done();
    println!("\nquickstart finished in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}
