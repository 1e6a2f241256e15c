// The benchmark's sharp contender: every variant of one photo, measured like bench/worker.py.
//
//   node contender.mjs '<job JSON>'
//
// The job (built by bench/sharp_contender.py) names the photo, the repeats, the variants (output
// name, format, quality, bounding box and fit) and sharp's PNG and WebP options. sharp runs on one
// thread (sharp.concurrency(1); UV_THREADPOOL_SIZE=1 is set by the caller) with libvips' operation
// cache off, so that every repeat does the whole job again. Each variant is its own pipeline from
// the upload's bytes, as sharp is normally used: auto-orientation, the ICC profile kept (as the
// project's handler keeps it), the thumbnail through sharp's shrink-on-load resize.
// Prints one JSON report: wall and CPU ms per run (CPU of the whole process, every thread), the
// resident size before the runs and the peak, and the last run's outputs.
import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import sharp from "sharp";

const FITS = { contain: "inside", cover: "cover" };

function pipeline(data, variant, options) {
  let image = sharp(data, { autoOrient: true }).keepIccProfile();
  if (variant.width !== null || variant.height !== null) {
    image = image.resize(variant.width, variant.height, {
      fit: FITS[variant.fit],
      withoutEnlargement: true,
    });
  }
  switch (variant.format) {
    case "JPEG":
      return image.jpeg({ quality: variant.quality, mozjpeg: false });
    case "WEBP":
      return image.webp({ quality: variant.quality, ...options.webp });
    case "PNG":
      return image.png(options.png);
    default:
      throw new Error(`sharp contender: no encoder for format ${variant.format}`);
  }
}

async function runOnce(data, job) {
  const outputs = [];
  for (const variant of job.variants) {
    const { data: encoded, info } = await pipeline(data, variant, job.options).toBuffer({
      resolveWithObject: true,
    });
    if (job.out_dir) {
      writeFileSync(join(job.out_dir, basename(variant.name)), encoded);
    }
    outputs.push({
      name: variant.name,
      format: variant.format,
      width: info.width,
      height: info.height,
      size: encoded.length,
    });
  }
  return outputs;
}

async function main() {
  const job = JSON.parse(process.argv[2]);
  sharp.concurrency(1);
  sharp.cache(false);
  const data = readFileSync(job.photo);
  const baseline = Math.round(process.memoryUsage.rss() / 1024);
  const runs = [];
  let outputs = [];
  for (let i = 0; i < job.repeats; i++) {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    outputs = await runOnce(data, job);
    const used = process.cpuUsage(cpu);
    runs.push({ wall_ms: performance.now() - wall, cpu_ms: (used.user + used.system) / 1000 });
  }
  const report = {
    impl: job.impl,
    photo: job.photo_name,
    runs,
    baseline_rss_kb: baseline,
    peak_rss_kb: process.resourceUsage().maxRSS,
    outputs,
    versions: { sharp: sharp.versions.sharp, libvips: sharp.versions.vips, node: process.version },
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
