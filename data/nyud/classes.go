package nyud

// Classes40 are the 40 NYUv2 classes of Gupta et al. (2013), in label order
// 0..39 (NYUD_MT stores them as 1..40, 0 meaning unlabelled). Names as in
// className of classMapping40.mat in ankurhanda/nyuv2-meta-data (spelling
// "refridgerator" included).
var Classes40 = [40]string{
	"wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window", "bookshelf",
	"picture", "counter", "blinds", "desk", "shelves", "curtain", "dresser", "pillow", "mirror", "floor mat",
	"clothes", "ceiling", "books", "refridgerator", "television", "paper", "towel", "shower curtain", "box", "whiteboard",
	"person", "night stand", "toilet", "sink", "lamp", "bathtub", "bag", "otherstructure", "otherfurniture", "otherprop",
}

// Classes13 are the 13 classes of the NYUv2 13-class benchmark (Couprie et
// al. 2013; Eigen & Fergus 2015), in label order 0..12, named as in
// classNames of class13Mapping.mat in ankurhanda/nyuv2-meta-data ("picture"
// is the class some papers call "painting").
var Classes13 = [13]string{
	"bed", "books", "ceiling", "chair", "floor", "furniture", "objects",
	"picture", "sofa", "table", "tv", "wall", "window",
}

// Map40To13 maps a 40-class label (0-based, index into Classes40) to its
// 13-class label (0-based, index into Classes13).
//
// Source: github.com/ankurhanda/nyuv2-meta-data, file class13Mapping.mat,
// variable classMapping13.labels13 (commit b92d15c506876dada1ac4086938e30ebc4deb49b):
// the 1-based 13-class label of each 1-based 40-class label, here shifted to
// 0-based on both sides. The repository's README points to
// ankurhanda/SceneNetv1.0 for the same mapping and its benchmark script.
var Map40To13 = [40]int32{
	11, // wall -> wall
	4,  // floor -> floor
	5,  // cabinet -> furniture
	0,  // bed -> bed
	3,  // chair -> chair
	8,  // sofa -> sofa
	9,  // table -> table
	11, // door -> wall
	12, // window -> window
	5,  // bookshelf -> furniture
	7,  // picture -> picture
	5,  // counter -> furniture
	12, // blinds -> window
	9,  // desk -> table
	5,  // shelves -> furniture
	12, // curtain -> window
	5,  // dresser -> furniture
	6,  // pillow -> objects
	6,  // mirror -> objects
	4,  // floor mat -> floor
	6,  // clothes -> objects
	2,  // ceiling -> ceiling
	1,  // books -> books
	5,  // refridgerator -> furniture
	10, // television -> tv
	6,  // paper -> objects
	6,  // towel -> objects
	6,  // shower curtain -> objects
	6,  // box -> objects
	6,  // whiteboard -> objects
	6,  // person -> objects
	5,  // night stand -> furniture
	6,  // toilet -> objects
	6,  // sink -> objects
	6,  // lamp -> objects
	6,  // bathtub -> objects
	6,  // bag -> objects
	6,  // otherstructure -> objects
	5,  // otherfurniture -> furniture
	6,  // otherprop -> objects
}
