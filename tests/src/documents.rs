//! Documents the report tests upload: lab reports as real PDFs (lopdf, standard Helvetica
//! text placed at table positions), a PDF whose stream inflates past the limit, and images.

use lopdf::{
    Document, Object, Stream,
    content::{Content, Operation},
    dictionary,
};

/// One printed line: cells placed left to right at the given x positions.
pub struct Row<'a> {
    pub cells: Vec<(f32, &'a str)>,
}

pub fn row<'a>(cells: &[(f32, &'a str)]) -> Row<'a> {
    Row {
        cells: cells.to_vec(),
    }
}

/// A single-column line at the left margin.
pub fn line(text: &str) -> Row<'_> {
    row(&[(50.0, text)])
}

/// A PDF with one page per entry of `pages`, each printing its rows top to bottom.
pub fn pdf(pages: &[Vec<Row<'_>>]) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut kids = Vec::new();
    for rows in pages {
        let mut operations = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let y = 780.0 - 18.0 * i as f32;
            for (x, text) in &row.cells {
                operations.extend([
                    Operation::new("BT", vec![]),
                    Operation::new("Tf", vec!["F1".into(), 10.into()]),
                    Operation::new("Td", vec![(*x).into(), y.into()]),
                    Operation::new("Tj", vec![Object::string_literal(*text)]),
                    Operation::new("ET", vec![]),
                ]);
            }
        }
        let content = Content { operations };
        let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        let page_id = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content_id,
        });
        kids.push(page_id.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A two-page lab report laid out as a table, as a lab's PDF prints it.
pub fn two_page_lab_report() -> Vec<u8> {
    let header = row(&[
        (50.0, "Test"),
        (230.0, "Result"),
        (300.0, "Units"),
        (380.0, "Reference range"),
        (500.0, "Flag"),
    ]);
    let cells = |name, value, unit, range, flag| {
        row(&[
            (50.0, name),
            (230.0, value),
            (300.0, unit),
            (380.0, range),
            (500.0, flag),
        ])
    };
    pdf(&[
        vec![
            line("Riverside Clinical Laboratory - Patient report"),
            line("Collected: 2026-03-14 08:10"),
            header,
            cells("Glucose, fasting", "105", "mg/dL", "70 - 99", "H"),
            cells("HbA1c", "5.4", "%", "4.0 - 5.6", ""),
            cells("Total cholesterol", "212", "mg/dL", "< 200", "H"),
            cells("HDL cholesterol", "38", "mg/dL", "> 40", "L"),
        ],
        vec![
            line("Page 2 - Complete blood count and chemistry"),
            cells("Hemoglobin", "13.9", "g/dL", "13.0 - 17.5", ""),
            cells("Platelets", "250", "10^9/L", "150 - 450", ""),
            cells("Potassium", "6.9", "mmol/L", "3.5 - 5.1", "HH"),
            cells("TSH", "2.1", "mIU/L", "0.4 - 4.0", ""),
        ],
    ])
}

/// A valid one-page PDF with an extra stream that inflates to `inflated` bytes of zeros.
pub fn pdf_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..inflated / zeros.len() {
        encoder.write_all(&zeros).unwrap();
    }
    let packed = encoder.finish().unwrap();
    let base = pdf(&[vec![line("Glucose 90 mg/dL 70-99")]]);
    let mut doc = Document::load_mem(&base).unwrap();
    let mut stream = Stream::new(dictionary! { "Filter" => "FlateDecode" }, packed);
    stream.allows_compression = false;
    doc.add_object(stream);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// A PNG of `width` x `height` with a `tEXt` chunk carrying a GPS position, as phones write.
pub fn png_with_location(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 255])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Insert the text chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
    let data = b"Comment\0GPSLatitude=52.520008 GPSLongitude=13.404954";
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(data);
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32fast::hash(&typed).to_be_bytes());
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[33..]);
    out
}
