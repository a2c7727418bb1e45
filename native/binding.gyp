{
  "targets": [
    {
      "target_name": "d2l_native",
      "sources": [
        "src/addon.cc",
        "src/conv.cc",
        "src/matmul.cc",
        "src/pool.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/copy.cc",
        "src/batchnorm.cc",
        "src/arena.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -e \"process.stdout.write((process.env.DNNL_ROOT ? process.env.DNNL_ROOT + '/include' : '/usr/include'))\")"
      ],
      "libraries": [
        "<!(node -e \"process.stdout.write(process.env.DNNL_ROOT ? '-L' + process.env.DNNL_ROOT + '/lib' : '')\")",
        "-ldnnl",
        "-fopenmp"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-Xpreprocessor", "-fopenmp"],
            "OTHER_LDFLAGS": ["-lomp"]
          }
        }]
      ]
    }
  ]
}
