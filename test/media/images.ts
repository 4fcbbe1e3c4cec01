import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";

/** Test images made on the fly: no binary fixtures to keep in step with the code. */

export const solid = (width: number, height: number, colour = "#4a7") =>
  sharp({ create: { width, height, channels: 3, background: colour } });

/** Noise compresses badly, so cutting the file in two really cuts into pixel data. */
export const noise = (width: number, height: number) =>
  sharp({
    create: {
      width,
      height,
      channels: 3,
      background: "#000",
      noise: { type: "gaussian", mean: 128, sigma: 40 },
    },
  });

export const HOME = "RUE-DES-LILAS-12";

/** A camera-like JPEG: EXIF with a GPS block (and a readable GPS string), XMP with a position. */
export async function jpegWithGps(): Promise<Buffer> {
  const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N" exif:UserComment="${HOME}-XMP"/></rdf:RDF></x:xmpmeta>`;
  return solid(640, 480)
    .jpeg()
    .withIccProfile("p3")
    .withXmp(xmp)
    .withExif({
      IFD0: { Make: "TestCam", ImageDescription: `${HOME}-EXIF` },
      // IFD3 is the GPS directory; GPSMapDatum is an ASCII tag, so it shows up in the bytes.
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "48/1 51/1 2400/100",
        GPSLongitudeRef: "E",
        GPSLongitude: "2/1 21/1 0/1",
        GPSMapDatum: `${HOME}-GPS`,
      },
    })
    .toBuffer();
}

/**
 * A landscape JPEG, red on the left and blue on the right, whose EXIF orientation (6) says
 * "turn me 90° clockwise": shown right, it is a portrait with red on top.
 */
export async function jpegOrientedSix(): Promise<Buffer> {
  const blue = await solid(200, 300, "#00f").png().toBuffer();
  const flat = await solid(400, 300, "#f00")
    .composite([{ input: blue, left: 200, top: 0 }])
    .png()
    .toBuffer();
  return sharp(flat).jpeg().withMetadata({ orientation: 6 }).toBuffer();
}

/**
 * A valid PNG that declares `side`×`side` one-bit pixels: a few kilobytes on the wire,
 * `side²` bytes and more once decoded. Built by hand so the test never decodes it itself.
 */
export function pngBomb(side: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth 1, colour type 0 (greyscale), default compression/filter/interlace
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side); // filter byte + packed row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A 64×48 HEIC (HEVC) made with libheif's heif-enc: 494 bytes. */
export const HEIC_64x48 = Buffer.from(
  "AAAAHGZ0eXBoZWljAAAAAG1pZjFoZWljbWlhZgAAAa1tZXRhAAAAAAAAACFoZGxyAAAAAAAAAABwaWN0AAAAAAAAAAAAAAAAAAAAAA5waXRtAAAAAAACAAAAEGlkYXQAAAAAAEAAMAAAADhpbG9jAQAAAERAAAIAAQAAAAAAAAHRAAEAAAAAAAAAHQACAAEAAAAAAAAAAQAAAAAAAAAIAAAAOGlpbmYAAAAAAAIAAAAVaW5mZQIAAAEAAQAAaHZjMQAAAAAVaW5mZQIAAAAAAgAAZ3JpZAAAAADYaXBycAAAALZpcGNvAAAAdmh2Y0MBA3AAAAAAAAAAAAAe8AD8/fj4AAAPAyAAAQAYQAEMAf//A3AAAAMAkAAAAwAAAwAeugJAIQABACpCAQEDcAAAAwCQAAADAAADAB6gIIEFlurkprm4EBAwIAAAAwAgAAADACEiAAEABkQBwXPAiQAAABRpc3BlAAAAAAAAAEAAAABAAAAAFGlzcGUAAAAAAAAAQAAAADAAAAAQcGl4aQAAAAADCAgIAAAAGmlwbWEAAAAAAAAAAgABAoECAAICA4QAAAAaaXJlZgAAAAAAAAAOZGltZwACAAEAAQAAACVtZGF0AAAAGSgBrxOA+BDhp3/xGo//tPNX/p/kvzopDPg=",
  "base64",
);
