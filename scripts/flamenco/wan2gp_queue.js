// Flamenco job type: run a Wan2GP queue file exported by Blender Movie Director
// (Director tab > Jobs > Export Wan2GP Queue) headless on a worker with a GPU:
//
//     python wgp.py --process <queue.zip> --output-dir <outputs>
//
// Put this file in the Flamenco Manager's `scripts/` folder (Flamenco 3 job compiler scripts), restart
// the Manager, and submit a job of type "Wan2GP Queue" with the queue file and an output folder both on
// the farm's shared storage. When it is done, Import Wan2GP Outputs in Blender (same queue file, that
// folder) places each clip at its shot. Not run here: written against Flamenco's documented
// job-compiler API (JOB_TYPE, compileJob, author.Task, author.Command("exec", ...)).
//
// One queue file is one task (Wan2GP runs a queue in order on one GPU). For several GPUs, export
// several queue files (e.g. selected shots each) and submit one job per file: Flamenco spreads the jobs
// over the workers.

const JOB_TYPE = {
    label: "Wan2GP Queue",
    description: "Render a Movie Director shot list with Wan2GP's headless queue runner",
    settings: [
        { key: "queue_file", type: "string", subtype: "file_path", required: true,
          description: "queue.zip exported by Movie Director (on shared storage)" },
        { key: "output_dir", type: "string", subtype: "dir_path", required: true,
          description: "Where Wan2GP writes the clips (bmd_<job id>.mp4); import them from here" },
        { key: "wan2gp_dir", type: "string", subtype: "dir_path", required: true, default: "{wan2gp}",
          description: "The Wan2GP checkout on the worker (a Flamenco variable is handy: {wan2gp})" },
        { key: "python", type: "string", required: true, default: "{wan2gp_python}",
          description: "Wan2GP's Python on the worker (its venv)" },
        { key: "extra_args", type: "string", required: false, default: "",
          description: "More wgp.py flags, e.g. --profile 4 --attention sage2" },
    ],
};

function compileJob(job) {
    const settings = job.settings;
    const args = [
        settings.wan2gp_dir + "/wgp.py",
        "--process", settings.queue_file,
        "--output-dir", settings.output_dir,
    ];
    if (settings.extra_args) {
        for (const arg of settings.extra_args.split(" ")) {
            if (arg) args.push(arg);
        }
    }
    const check = author.Task("check-queue", "misc");
    check.addCommand(author.Command("exec", {
        exe: settings.python,
        args: [settings.wan2gp_dir + "/wgp.py", "--process", settings.queue_file, "--dry-run"],
    }));
    job.addTask(check);

    const render = author.Task("render-queue", "wan2gp");
    render.addCommand(author.Command("exec", { exe: settings.python, args: args }));
    render.addDependency(check);
    job.addTask(render);
}
